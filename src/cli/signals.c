#include "cli/signals.h"

#include "jacspec.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig) {
  caught = sig;
  js_cancel_request();
}

void cli_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  /* SA_RESTART: a write in progress finishes rather than failing with
   * EINTR and reporting a bogus I/O error. SA_RESETHAND: the second signal
   * takes the default action, for a user who will not wait. */
  sa.sa_flags = SA_RESTART | SA_RESETHAND;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int cli_signal_caught(void) { return caught; }

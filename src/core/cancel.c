/* The cancellation request: one flag a signal handler may set. */
#include "jacspec.h"

#include <signal.h>

/* sig_atomic_t: the only object C lets a signal handler write; volatile
 * so the loops that poll it reread it. */
static volatile sig_atomic_t requested;

void js_cancel_request(void) { requested = 1; }

void js_cancel_clear(void) { requested = 0; }

int js_cancel_requested(void) { return requested != 0; }

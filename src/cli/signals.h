/* SIGINT and SIGTERM: the first one asks the library to stop (between
 * products and training steps) and is remembered, so the verb removes its
 * temporary outputs and exits 128 + the signal number (130, 143); a second
 * one kills at once. */
#ifndef JS_CLI_SIGNALS_H
#define JS_CLI_SIGNALS_H

void cli_signals_install(void);
/* The signal caught (SIGINT, SIGTERM), or 0. */
int cli_signal_caught(void);

#endif

/* The verbs of the jacspec command; each returns the process exit code:
 * 0 success, 1 error, 2 usage error, 3 partial convergence. */
#ifndef JS_CLI_VERBS_H
#define JS_CLI_VERBS_H

int cli_spectrum(int argc, char **argv);
int cli_density(int argc, char **argv);
int cli_split(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_bound(int argc, char **argv);
int cli_ntk(int argc, char **argv);

#endif

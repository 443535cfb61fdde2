/* What the analysis verbs (split, train, bound) share: the information
 * space of a network's Jacobian on a data set, the residual, --lr. */
#ifndef JS_CLI_ANALYSIS_H
#define JS_CLI_ANALYSIS_H

#include "jacspec.h"

/* *space = I and N of J at theta (NULL: the network's weights) on data: the top
 * opt->top triplets, or those above opt->cutoff when it is > 0 (vectors
 * are always kept). Returns 0, or prints one line and returns 1 (partial
 * convergence included: a space needs every triplet). */
int cli_space_compute(const js_net *net, const double *theta, const js_dataset *data,
                      const js_jacobian_options *jac, const js_svds_options *opt,
                      int quiet, js_space **space);

/* r -= y (the targets of data, nK values): outputs become the residual. */
void cli_subtract_targets(const js_dataset *data, double *r);
/* r = f(x) - y on data into r (nK values). Returns 0, or prints one line
 * and returns 1. */
int cli_residual_into(const js_net *net, const js_dataset *data, double *r);
/* The same into a new array (caller frees); NULL after printing one line. */
double *cli_residual(const js_net *net, const js_dataset *data);

/* --lr: "auto" (0: the library's 1 / lambda_1^2) or a finite number > 0.
 * Returns 0 or prints one line and returns 2. */
int cli_lr_parse(const char *text, double *lr);

#endif

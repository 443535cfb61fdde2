/* What the analysis verbs (split, train, bound) share: the information
 * space of a network's Jacobian on a data set, the residual, --lr. */
#ifndef JS_CLI_ANALYSIS_H
#define JS_CLI_ANALYSIS_H

#include "cli/gram.h"
#include "cli/output.h"
#include "cli/precision.h"
#include "cli/problem.h"
#include "jacspec.h"

/* *space = I and N of J at theta (NULL: the network's weights) on data: the top
 * opt->top triplets, or those above opt->cutoff when it is > 0 (vectors
 * are always kept). gram (NULL: implicit) is --gram's decision: an
 * explicit G is formed for this Jacobian (from its single twin under
 * --precision mixed), used and freed, its products added up. Under
 * --precision mixed the solve refines the twin's triplets in double, and
 * refinement (NULL: not reported) adds up what it did. Returns 0, or
 * prints one line and returns 1 (partial convergence included: a space
 * needs every triplet). */
int cli_space_compute(const js_net *net, const double *theta, const js_dataset *data,
                      const js_jacobian_options *jac, const js_svds_options *opt,
                      cli_gram *gram, cli_refinement *refinement, int quiet,
                      js_space **space);

/* An alignment (js_space_align) as the JSON object KEY: norm, info,
 * nuisance, pinv. */
void cli_json_alignment(json_writer *j, const char *key, const js_alignment *a);

/* r -= y (the targets of data, nK values): outputs become the residual. */
void cli_subtract_targets(const js_dataset *data, double *r);
/* r = f(x) - y on data into r (nK values). Returns 0, or prints one line
 * and returns 1. */
int cli_residual_into(const js_net *net, const js_dataset *data, double *r);
/* The same into a new array (caller frees); NULL after printing one line. */
double *cli_residual(const js_net *net, const js_dataset *data);

/* --lr: "auto" (0: the library's 1 / lambda_1^2), "theory" (CLI_LR_THEORY:
 * the theorems' eta_max, cli_theory_lr) or a finite number > 0. Returns 0
 * or prints one line and returns 2. */
#define CLI_LR_THEORY (-1.0)
int cli_lr_parse(const char *text, double *lr);

/* What Theorems 3.2 and 3.3 assume of the paper's network V phi(W x) and
 * its data, read off the problem. */
typedef struct cli_theory {
  double nu;          /* sqrt(kK) max |V_ij|: the smallest nu with ||V||_inf <= nu/sqrt(kK) */
  double deriv_bound; /* B = max(sup |phi'|, sup |phi''|) */
  double input_norm;  /* ||X|| */
  int64_t width;      /* k: rows of W1 */
  int hidden_layers;  /* L - 1 */
  int output_trained; /* W_L (or a bias) is trained */
  double norm_error;  /* max_i | ||x_i|| - 1 | */
} cli_theory;
/* Fills *t for an MLP with a hidden layer; otherwise prints one line
 * naming the verb and returns 2. */
int cli_theory_inputs(const cli_problem *pb, const char *verb, cli_theory *t);
/* *lr = eta_max = 1 / (nu^2 B^2 ||X||^2) of the problem's network (0 when
 * B is Inf: the theorems then allow no step). Returns 0 or prints, 2. */
int cli_theory_lr(const cli_problem *pb, const char *verb, double *lr);

#endif

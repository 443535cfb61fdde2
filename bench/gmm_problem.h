/* The problem every benchmark measures: the paper's setting, Gaussian-
 * mixture data (unit-norm rows) and a one-hidden-layer softplus network
 * with W_1 trained, so J is (n K) x (d m) for m hidden units. */
#ifndef BENCH_GMM_PROBLEM_H
#define BENCH_GMM_PROBLEM_H

#include <jacspec.h>

typedef struct gmm_problem {
  js_dataset *data;
  js_net *net;
  js_jacobian_options jac;    /* how the Jacobian's products run */
  js_linop *jacobian;         /* borrows net and data */
  js_memory_plan plan;        /* zero unless gmm_problem_plan ran */
} gmm_problem;

/* On failure prints the library's message to stderr (prefixed by `who`),
 * frees what was built and returns the status. */
int gmm_problem_create(gmm_problem *prob, int64_t n_samples, int64_t n_classes,
                       int64_t dim, int64_t hidden, const char *who);
void gmm_problem_free(gmm_problem *prob);

/* Fits the products of a solve under `solver` into `budget` bytes as
 * `jacspec --mem` does (js_plan_memory, the residual check's block of r
 * vectors included) and remakes the Jacobian with the plan: each product
 * the batch that suits its vectors under the plan's workspace. batch_size
 * > 0 gives every product that batch instead (and replaces the plan's
 * batch and its share of prob->plan's totals). On
 * failure prints the library's message, prefixed by `who`, and returns
 * the status. */
int gmm_problem_plan(gmm_problem *prob, const js_svds_options *solver, size_t budget,
                     int64_t batch_size, const char *who);

/* The solver's defaults for the top `top` triplets without keeping the
 * singular vectors: the benchmarks measure the solve, not the copies. */
void gmm_problem_svds_options(js_svds_options *opt, int64_t top);

#endif

/* Where the time of a top-r solve goes: products with J and J^T versus
 * everything else (ARPACK's Lanczos and restarts, orthogonalisation, the
 * residual bookkeeping). The Jacobian is wrapped in an operator whose
 * callback times the inner products, so "outside" is wall time minus
 * product time, measured in the same run.
 *
 *   build/bench/solver [max_samples] [hidden] [top] [dim] [threads]
 *
 * GMM with 10 classes (K = 10), n = 1000, 3000, 10000, 30000, ... while at
 * most max_samples (default 10000, so nK reaches 1e5), one hidden layer of
 * `hidden` units (default 256, p = dim * hidden), top 50 by default.
 * threads: for BLIS and the elementwise loops (default 0: all cores). On
 * a machine other programs are busy on, pass fewer: BLIS's threads
 * busy-wait, and products then slow down many times over.
 * Prints a table and one JSON line. Issue 5's target: outside-product time
 * at most 10 % of wall time at nK >= 1e5. */
#include "gmm_problem.h"
#include "measure.h"

#include <stdio.h>
#include <stdlib.h>

enum { N_CLASSES = 10 };

/* An operator that forwards to `inner` and adds up the seconds spent in it. */
typedef struct timed_operator {
  js_linop *inner;
  double product_seconds;
} timed_operator;

static int timed_apply(void *ctx, int transpose, int64_t n_vectors, const double *in,
                       double *out) {
  timed_operator *timed = ctx;
  double start = bench_now();
  int rc = transpose ? js_linop_apply_t(timed->inner, n_vectors, in, out)
                     : js_linop_apply(timed->inner, n_vectors, in, out);
  timed->product_seconds += bench_now() - start;
  return rc;
}

typedef struct solver_run {
  int64_t n_samples, rows, cols;
  const char *side;
  int64_t n_apply, n_apply_t, restarts, rank;
  double wall, product_seconds;
} solver_run;

/* One solve of the top `top` triplets; fills run. */
static int measure(solver_run *run, int64_t n_samples, int64_t dim, int64_t hidden,
                   int64_t top) {
  gmm_problem prob;
  int rc = gmm_problem_create(&prob, n_samples, N_CLASSES, dim, hidden, "solver");
  if (rc)
    return rc;
  timed_operator timed = {prob.jacobian, 0.0};
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  js_svds_options opt;
  gmm_problem_svds_options(&opt, top);
  rc = js_linop_create(js_linop_rows(prob.jacobian), js_linop_cols(prob.jacobian),
                       timed_apply, &timed, &op);
  double start = bench_now();
  if (!rc)
    rc = js_svds(op, &opt, &res);
  double wall = bench_now() - start;
  if (rc == JS_ENOCONV) /* partial convergence is still a measured solve */
    fprintf(stderr, "solver: %s\n", js_last_error());
  if (rc == JS_OK || rc == JS_ENOCONV) {
    *run = (solver_run){
        .n_samples = n_samples, .rows = res->rows, .cols = res->cols,
        .side = res->side == JS_SIDE_OUTPUTS ? "outputs" : "params",
        .n_apply = res->n_apply, .n_apply_t = res->n_apply_t,
        .restarts = res->iterations, .rank = res->rank,
        .wall = wall, .product_seconds = timed.product_seconds};
    rc = JS_OK;
  } else {
    fprintf(stderr, "solver: n=%lld: %s\n", (long long)n_samples, js_last_error());
  }
  js_svds_result_free(res);
  js_linop_free(op);
  gmm_problem_free(&prob);
  return rc;
}

static double outside_fraction(const solver_run *run) {
  return 1.0 - run->product_seconds / run->wall;
}

int main(int argc, char **argv) {
  int64_t max_samples = argc > 1 ? atoll(argv[1]) : 10000;
  int64_t hidden = argc > 2 ? atoll(argv[2]) : 256;
  int64_t top = argc > 3 ? atoll(argv[3]) : 50;
  int64_t dim = argc > 4 ? atoll(argv[4]) : 100;
  int threads = argc > 5 ? atoi(argv[5]) : 0;
  if (max_samples < 1 || hidden < 1 || top < 1 || dim < 1 || threads < 0) {
    fprintf(stderr, "usage: solver [max_samples] [hidden] [top] [dim] (all >= 1) "
                    "[threads >= 0]\n");
    return 2;
  }
  threads = js_set_threads(threads);

  /* Half-decade steps in nK. */
  static const int64_t sizes[] = {1000, 3000, 10000, 30000, 100000, 300000, 1000000};
  enum { MAX_RUNS = sizeof sizes / sizeof sizes[0] };
  solver_run runs[MAX_RUNS];
  int n_runs = 0;
  while (n_runs < MAX_RUNS && sizes[n_runs] <= max_samples) {
    if (measure(&runs[n_runs], sizes[n_runs], dim, hidden, top))
      return 1;
    n_runs++;
  }

  printf("top %lld triplets of J, GMM K=%d, d=%lld, one hidden layer of %lld (p = %lld), "
         "%d threads\n",
         (long long)top, N_CLASSES, (long long)dim, (long long)hidden,
         (long long)(dim * hidden), threads);
  printf("%8s %9s %8s %8s %7s %7s %9s %10s %10s %8s\n", "n", "nK", "side", "restarts",
         "J", "J^T", "wall s", "product s", "s/product", "outside");
  for (int i = 0; i < n_runs; i++) {
    const solver_run *r = &runs[i];
    printf("%8lld %9lld %8s %8lld %7lld %7lld %9.2f %10.2f %10.2e %7.1f%%\n",
           (long long)r->n_samples, (long long)r->rows, r->side, (long long)r->restarts,
           (long long)r->n_apply, (long long)r->n_apply_t, r->wall, r->product_seconds,
           r->product_seconds / (double)(r->n_apply + r->n_apply_t),
           100.0 * outside_fraction(r));
  }
  printf("{\"bench\":\"solver\",\"top\":%lld,\"classes\":%d,\"dim\":%lld,\"hidden\":%lld,"
         "\"threads\":%d,\"runs\":[",
         (long long)top, N_CLASSES, (long long)dim, (long long)hidden, threads);
  for (int i = 0; i < n_runs; i++) {
    const solver_run *r = &runs[i];
    printf("%s{\"n_samples\":%lld,\"rows\":%lld,\"cols\":%lld,\"side\":\"%s\","
           "\"converged\":%lld,\"restarts\":%lld,\"jvp_count\":%lld,\"vjp_count\":%lld,"
           "\"seconds\":%.3f,\"product_seconds\":%.3f,\"outside_fraction\":%.4f}",
           i ? "," : "", (long long)r->n_samples, (long long)r->rows, (long long)r->cols,
           r->side, (long long)r->rank, (long long)r->restarts, (long long)r->n_apply,
           (long long)r->n_apply_t, r->wall, r->product_seconds, outside_fraction(r));
  }
  printf("]}\n");
  return 0;
}

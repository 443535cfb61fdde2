/* The dense reference (form J column by column, LAPACK's SVD) against the
 * matrix-free solve (ARPACK on the Gram operator) on problems where the
 * explicit J still fits: time and peak memory of each, each solve in its
 * own child process, so a reader sees where each one wins.
 *
 *   build/bench/dense_vs_free [max_scale] [top]
 *
 * GMM, K = 10 classes, d = 50, one hidden layer; at scale s, n = 10 s and
 * m = 5 s hidden units, so J is (100 s) x (250 s). Scales 1, 2, 4, ... up
 * to max_scale (default 16: J of 1600 x 4000, 51 MB). The dense path keeps
 * the library's default limit (J at most 1 GiB) and says so when it
 * refuses. Both solve for the top `top` triplets (default 20); the table
 * also gives the largest relative difference of their singular values.
 * The dense SVD costs the same whatever r, the matrix-free solve grows with
 * r: a third run asks it for half the spectrum, r = min(nK, p) / 2, where
 * the dense path can win. */
#include "gmm_problem.h"
#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { N_CLASSES = 10, DIM = 50, MAX_TOP = 100, MAX_RUNS = 16 };

typedef struct solve_config {
  int64_t n_samples, hidden, top;
  int dense;
} solve_config;

/* What a child sends back. */
typedef struct solve_outcome {
  int status; /* JS_OK, or the dense path's JS_ELIMIT */
  int64_t rows, cols, rank;
  double seconds, peak_rss;
  double sigma[MAX_TOP];
} solve_outcome;

static int solve_in_child(const void *ctx, void *result) {
  const solve_config *config = ctx;
  solve_outcome *out = result;
  gmm_problem prob;
  if (gmm_problem_create(&prob, config->n_samples, N_CLASSES, DIM, config->hidden,
                         "dense_vs_free"))
    return 1;
  js_svds_options opt;
  gmm_problem_svds_options(&opt, config->top);
  js_svds_result *res = NULL;
  double start = bench_now();
  int rc = config->dense ? js_svds_dense(prob.jacobian, &opt, &res)
                         : js_svds(prob.jacobian, &opt, &res);
  out->seconds = bench_now() - start;
  out->status = rc;
  out->rows = js_linop_rows(prob.jacobian);
  out->cols = js_linop_cols(prob.jacobian);
  if (rc == JS_OK || rc == JS_ENOCONV) {
    out->rank = res->rank;
    for (int64_t s = 0; s < res->rank && s < MAX_TOP; s++)
      out->sigma[s] = res->sigma[s];
  } else if (rc != JS_ELIMIT) {
    fprintf(stderr, "dense_vs_free: %s\n", js_last_error());
  }
  js_svds_result_free(res);
  gmm_problem_free(&prob);
  return rc != JS_OK && rc != JS_ENOCONV && rc != JS_ELIMIT;
}

static int measure(solve_outcome *out, int64_t scale, int64_t top, int dense) {
  solve_config config = {10 * scale, 5 * scale, top, dense};
  if (bench_run_in_child(solve_in_child, &config, out, sizeof *out, &out->peak_rss)) {
    fprintf(stderr, "dense_vs_free: the %s run at scale %lld failed\n",
            dense ? "dense" : "matrix-free", (long long)scale);
    return 1;
  }
  return 0;
}

/* max_s |sigma_s(dense) - sigma_s(free)| / sigma_1(dense), or NAN. */
static double max_difference(const solve_outcome *dense, const solve_outcome *free_run) {
  if (dense->status != JS_OK || dense->rank != free_run->rank || dense->rank == 0)
    return NAN;
  double worst = 0;
  for (int64_t s = 0; s < dense->rank; s++) {
    double diff = fabs(dense->sigma[s] - free_run->sigma[s]) / dense->sigma[0];
    worst = diff > worst ? diff : worst;
  }
  return worst;
}

int main(int argc, char **argv) {
  int64_t max_scale = argc > 1 ? atoll(argv[1]) : 16;
  int64_t top = argc > 2 ? atoll(argv[2]) : 20;
  if (max_scale < 1 || top < 1 || top > MAX_TOP) {
    fprintf(stderr, "usage: dense_vs_free [max_scale >= 1] [top in 1..%d]\n", MAX_TOP);
    return 2;
  }
  solve_outcome dense[MAX_RUNS], free_runs[MAX_RUNS], half[MAX_RUNS];
  int64_t scales[MAX_RUNS];
  int n_runs = 0;
  for (int64_t scale = 1; scale <= max_scale && n_runs < MAX_RUNS; scale *= 2) {
    scales[n_runs] = scale;
    /* min(nK, p) = nK = 100 scale */
    if (measure(&dense[n_runs], scale, top, 1) || measure(&free_runs[n_runs], scale, top, 0) ||
        measure(&half[n_runs], scale, 50 * scale, 0))
      return 1;
    n_runs++;
  }

  printf("top %lld triplets, dense (form J, LAPACK SVD) vs matrix-free (ARPACK), "
         "GMM K=%d d=%d, one child process per solve\n",
         (long long)top, N_CLASSES, DIM);
  printf("%5s %6s %6s %7s %10s %10s %9s %9s %6s %8s %6s %10s\n", "scale", "nK", "p", "J MB",
         "dense ms", "free ms", "dense MB", "free MB", "faster", "max diff", "r/2",
         "free r/2 ms");
  for (int i = 0; i < n_runs; i++) {
    const solve_outcome *d = &dense[i], *f = &free_runs[i], *h = &half[i];
    int refused = d->status == JS_ELIMIT;
    printf("%5lld %6lld %6lld %7.1f", (long long)scales[i], (long long)d->rows,
           (long long)d->cols, 8e-6 * (double)d->rows * (double)d->cols);
    if (refused)
      printf(" %10s %10.1f %9s %9.1f %6s %8s", "refused", 1e3 * f->seconds, "-",
             f->peak_rss / 1e6, "free", "-");
    else
      printf(" %10.1f %10.1f %9.1f %9.1f %6s %8.1e", 1e3 * d->seconds, 1e3 * f->seconds,
             d->peak_rss / 1e6, f->peak_rss / 1e6, d->seconds < f->seconds ? "dense" : "free",
             max_difference(d, f));
    printf(" %6lld %10.1f%s\n", (long long)h->rank, 1e3 * h->seconds,
           !refused && d->seconds < h->seconds ? " (dense wins)" : "");
  }
  printf("{\"bench\":\"dense_vs_free\",\"top\":%lld,\"runs\":[", (long long)top);
  for (int i = 0; i < n_runs; i++) {
    const solve_outcome *d = &dense[i], *f = &free_runs[i];
    printf("%s{\"rows\":%lld,\"cols\":%lld,\"dense_refused\":%d,\"dense_seconds\":%.4f,"
           "\"free_seconds\":%.4f,\"dense_peak_rss_bytes\":%.0f,"
           "\"free_peak_rss_bytes\":%.0f,\"half_rank\":%lld,\"free_half_seconds\":%.4f}",
           i ? "," : "", (long long)d->rows, (long long)d->cols, d->status == JS_ELIMIT,
           d->seconds, f->seconds, d->peak_rss, f->peak_rss, (long long)half[i].rank,
           half[i].seconds);
  }
  printf("]}\n");
  return 0;
}

/* Peak resident memory of the matrix-free top-r solve as the problem grows,
 * next to the size the explicit J would have had (nK p 8 bytes) and to the
 * working set the library plans for it.
 *
 *   build/bench/memory [max_params] [max_samples] [top] [budget_mib]
 *
 * GMM, K = 10 classes, d = 100, one hidden layer of m units (p = d m):
 *   - p sweep: n = 20, p = 1e5, 3e5, 1e6, 3e6, 1e7, ... up to max_params
 *     (default 1e7);
 *   - n sweep: p = 5e4, n = 500, 1000, 2000, ... up to max_samples
 *     (default 4000, nK = 4e4, below p so the Gram side stays the same);
 *   - issue 2's case: n = 5000, m = 2048, top 20, default tolerance, whose
 *     J would take 82 GB, must finish under 2 GB;
 *   - a budget run: the largest n-sweep problem under budget_mib MiB
 *     (default 40, too small for the activation cache), whose peak must
 *     stay within 10 % of the budget.
 * Sweeps solve for the top `top` triplets (default 5) with tol 1e-6:
 * memory does not depend on the tolerance, only the run time does. Runs
 * without a budget get the CLI's default, half the physical memory, and the
 * sweeps batches of SWEEP_BATCH samples.
 *
 * The working set ("plan MB") is js_plan_memory's total, in doubles:
 *   data n (d + K) + weights m (d + K)
 *   + triplets r (nK + p) + max(Lanczos, residual products), where
 *     Lanczos = (ncv + r + 4) N + ncv (ncv + 8) + M (N, M: the shorter and
 *     longer side of J; ncv = max(2r + 1, 20)) and residuals = r (nK + p)
 *   + activation cache 2 n m (when it fits)
 *   + one batch's workspace (at most 64 MiB).
 * Each configuration runs in its own child process, so each peak is its
 * own. Memory must grow linearly: the least-squares slopes of peak RSS vs p
 * and vs nK are printed next to those of the working set. */
#include "gmm_problem.h"
#include "measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { N_CLASSES = 10, DIM = 100, MAX_RUNS = 16 };
#define ISSUE2_LIMIT_BYTES 2e9
#define BUDGET_TOLERANCE 1.10
/* Samples per batch in the sweeps: one fixed batch keeps the workspace the
 * same at every size (the planner's choice grows with n up to 64 MiB), so
 * what the fit sees is the growth of everything else. */
enum { SWEEP_BATCH = 20 };

typedef struct memory_config {
  int64_t n_samples, hidden, top;
  double tol;
  size_t budget;
  int64_t batch_size; /* 0: the plan's */
} memory_config;

typedef struct memory_run {
  memory_config config;
  int64_t rows, cols; /* nK, p */
  int64_t converged;
  js_memory_plan plan;
  double seconds, peak_rss;
} memory_run;

/* The child: plan, then one solve without keeping vectors. */
static int solve_in_child(const void *ctx, void *result) {
  const memory_config *config = ctx;
  memory_run *run = result;
  run->config = *config;
  gmm_problem prob;
  if (gmm_problem_create(&prob, config->n_samples, N_CLASSES, DIM, config->hidden,
                         "memory"))
    return 1;
  js_svds_options opt;
  gmm_problem_svds_options(&opt, config->top);
  opt.tol = config->tol;
  js_svds_result *res = NULL;
  int rc = gmm_problem_plan(&prob, &opt, config->budget, config->batch_size, "memory");
  if (!rc)
    rc = js_svds(prob.jacobian, &opt, &res);
  if (rc == JS_OK || rc == JS_ENOCONV) {
    run->rows = res->rows;
    run->cols = res->cols;
    run->converged = res->rank;
    run->plan = prob.plan;
    run->seconds = res->seconds;
    rc = JS_OK;
  } else {
    fprintf(stderr, "memory: %s\n", js_last_error());
  }
  js_svds_result_free(res);
  gmm_problem_free(&prob);
  return rc != JS_OK;
}

static int measure(memory_run *run, const memory_config *config) {
  if (bench_run_in_child(solve_in_child, config, run, sizeof *run, &run->peak_rss)) {
    fprintf(stderr, "memory: the run n=%lld hidden=%lld failed\n",
            (long long)config->n_samples, (long long)config->hidden);
    return 1;
  }
  return 0;
}

/* Least-squares line y = intercept + slope x. */
static void line_fit(const double *x, const double *y, int count, double *slope,
                     double *intercept) {
  double mx = 0, my = 0, sxy = 0, sxx = 0;
  for (int i = 0; i < count; i++) {
    mx += x[i] / count;
    my += y[i] / count;
  }
  for (int i = 0; i < count; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  *slope = sxx > 0 ? sxy / sxx : 0.0;
  *intercept = my - *slope * mx;
}

/* A sweep's fit against p or nK (by_rows): the slopes of the peaks and of
 * the plans, and how far the peaks stray from their line (the largest
 * |peak - line| / peak), which is small when memory grows linearly. */
typedef struct sweep_fit {
  double slope, plan_slope, worst_deviation;
} sweep_fit;

static sweep_fit fit(const memory_run *runs, int count, int by_rows) {
  double x[MAX_RUNS] = {0}, peak[MAX_RUNS] = {0}, plan[MAX_RUNS] = {0};
  double intercept, plan_intercept;
  sweep_fit out = {0, 0, 0};
  for (int i = 0; i < count; i++) {
    x[i] = (double)(by_rows ? runs[i].rows : runs[i].cols);
    peak[i] = runs[i].peak_rss;
    plan[i] = (double)runs[i].plan.total_bytes;
  }
  line_fit(x, peak, count, &out.slope, &intercept);
  line_fit(x, plan, count, &out.plan_slope, &plan_intercept);
  for (int i = 0; i < count; i++) {
    double deviation = fabs(peak[i] - (intercept + out.slope * x[i])) / peak[i];
    out.worst_deviation = deviation > out.worst_deviation ? deviation : out.worst_deviation;
  }
  return out;
}

static void print_rows(const char *title, const memory_run *runs, int count) {
  printf("\n%s\n%6s %7s %7s %9s %5s %8s %8s %11s %9s %6s\n", title, "n", "hidden", "nK",
         "p", "cache", "plan MB", "peak MB", "explicit GB", "peak/expl", "s");
  for (int i = 0; i < count; i++) {
    const memory_run *r = &runs[i];
    double explicit_bytes = 8.0 * (double)r->rows * (double)r->cols;
    printf("%6lld %7lld %7lld %9lld %5s %8.1f %8.1f %11.2f %9.2e %6.1f\n",
           (long long)r->config.n_samples, (long long)r->config.hidden, (long long)r->rows,
           (long long)r->cols, r->plan.cache ? "on" : "off", (double)r->plan.total_bytes / 1e6,
           r->peak_rss / 1e6, explicit_bytes / 1e9, r->peak_rss / explicit_bytes, r->seconds);
  }
}

int main(int argc, char **argv) {
  int64_t max_params = argc > 1 ? atoll(argv[1]) : 10000000;
  int64_t max_samples = argc > 2 ? atoll(argv[2]) : 4000;
  int64_t top = argc > 3 ? atoll(argv[3]) : 5;
  int64_t budget_mib = argc > 4 ? atoll(argv[4]) : 40;
  if (max_params < 100000 || max_samples < 500 || top < 1 || budget_mib < 1) {
    fprintf(stderr, "usage: memory [max_params >= 1e5] [max_samples >= 500] [top >= 1] "
                    "[budget_mib >= 1]\n");
    return 2;
  }
  size_t half_memory = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE) / 2;
  size_t budget = (size_t)budget_mib << 20;

  /* p = DIM * hidden = 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8. */
  static const int64_t hidden_sizes[] = {1000, 3000, 10000, 30000, 100000, 300000, 1000000};
  enum { N_HIDDEN_SIZES = sizeof hidden_sizes / sizeof hidden_sizes[0] };
  memory_run by_params[N_HIDDEN_SIZES], by_samples[MAX_RUNS], issue2, budgeted;
  int n_params_runs = 0, n_samples_runs = 0;
  while (n_params_runs < N_HIDDEN_SIZES && DIM * hidden_sizes[n_params_runs] <= max_params) {
    memory_config config = {20, hidden_sizes[n_params_runs], top, 1e-6, half_memory,
                            SWEEP_BATCH};
    if (measure(&by_params[n_params_runs++], &config))
      return 1;
  }
  for (int64_t n = 500; n <= max_samples && n_samples_runs < MAX_RUNS; n *= 2) {
    memory_config config = {n, 500, top, 1e-6, half_memory, SWEEP_BATCH};
    if (measure(&by_samples[n_samples_runs++], &config))
      return 1;
  }
  js_svds_options defaults;
  js_svds_options_init_defaults(&defaults);
  memory_config issue2_config = {5000, 2048, 20, defaults.tol, half_memory, 0};
  memory_config budget_config = by_samples[n_samples_runs - 1].config;
  budget_config.budget = budget;
  budget_config.batch_size = 0;
  if (measure(&issue2, &issue2_config) || measure(&budgeted, &budget_config))
    return 1;

  printf("peak resident set of js_svds, GMM K=%d d=%d, one hidden layer, top %lld, "
         "one child process per row\n",
         N_CLASSES, DIM, (long long)top);
  print_rows("growing p at n = 20", by_params, n_params_runs);
  sweep_fit by_p = fit(by_params, n_params_runs, 0);
  printf("slope of peak RSS vs p: %.1f bytes per parameter (plan: %.1f); peaks within "
         "%.1f %% of the line\n",
         by_p.slope, by_p.plan_slope, 100 * by_p.worst_deviation);
  print_rows("growing nK at p = 5e4", by_samples, n_samples_runs);
  sweep_fit by_nk = fit(by_samples, n_samples_runs, 1);
  printf("slope of peak RSS vs nK: %.1f bytes per output (plan: %.1f); peaks within "
         "%.1f %% of the line\n",
         by_nk.slope, by_nk.plan_slope, 100 * by_nk.worst_deviation);

  print_rows("issue 2: top 20, default tolerance", &issue2, 1);
  int issue2_ok = issue2.peak_rss < ISSUE2_LIMIT_BYTES && issue2.converged == 20;
  printf("issue 2: peak %.2f GB for an explicit J of %.1f GB: %s (limit 2 GB)\n",
         issue2.peak_rss / 1e9, 8e-9 * (double)issue2.rows * (double)issue2.cols,
         issue2_ok ? "PASS" : "FAIL");

  print_rows("under a budget", &budgeted, 1);
  double over = budgeted.peak_rss / (double)budget;
  int budget_ok = over <= BUDGET_TOLERANCE;
  printf("budget %lld MiB: peak / budget = %.3f: %s (limit %.2f)\n", (long long)budget_mib,
         over, budget_ok ? "PASS" : "FAIL", BUDGET_TOLERANCE);

  printf("{\"bench\":\"memory\",\"top\":%lld,\"params_sweep\":[", (long long)top);
  for (int i = 0; i < n_params_runs; i++)
    printf("%s{\"p\":%lld,\"peak_rss_bytes\":%.0f,\"plan_bytes\":%zu}", i ? "," : "",
           (long long)by_params[i].cols, by_params[i].peak_rss, by_params[i].plan.total_bytes);
  printf("],\"samples_sweep\":[");
  for (int i = 0; i < n_samples_runs; i++)
    printf("%s{\"rows\":%lld,\"peak_rss_bytes\":%.0f,\"plan_bytes\":%zu}", i ? "," : "",
           (long long)by_samples[i].rows, by_samples[i].peak_rss,
           by_samples[i].plan.total_bytes);
  printf("],\"slope_per_param\":%.2f,\"plan_slope_per_param\":%.2f,"
         "\"deviation_params\":%.4f,\"slope_per_output\":%.2f,"
         "\"plan_slope_per_output\":%.2f,\"deviation_outputs\":%.4f,"
         "\"issue2\":{\"rows\":%lld,\"cols\":%lld,\"peak_rss_bytes\":%.0f,"
         "\"explicit_bytes\":%.0f,\"converged\":%lld,\"seconds\":%.2f,\"pass\":%d},"
         "\"budget\":{\"budget_bytes\":%zu,\"peak_rss_bytes\":%.0f,\"ratio\":%.4f,"
         "\"pass\":%d}}\n",
         by_p.slope, by_p.plan_slope, by_p.worst_deviation, by_nk.slope, by_nk.plan_slope,
         by_nk.worst_deviation, (long long)issue2.rows, (long long)issue2.cols,
         issue2.peak_rss, 8.0 * (double)issue2.rows * (double)issue2.cols,
         (long long)issue2.converged, issue2.seconds, issue2_ok, budget, budgeted.peak_rss,
         over, budget_ok);
  return issue2_ok && budget_ok ? 0 : 1;
}

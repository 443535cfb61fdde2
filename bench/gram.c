/* bench/gram: a top-r solve with the explicit Gram J J^T (js_jacobian_gram)
 * against the implicit one (J (J^T x) by products), on issue 12's
 * fmnist-3c problem: 3 x M Fashion-MNIST images (T-shirt, trouser,
 * pullover), the paper's 784-W-3 softplus network, W1 trained, as
 * `jacspec spectrum --data fashion-mnist:train --classes 0,1,2 --per-class M
 * --hidden W --top R` runs it. Each mode runs in its own child process, so
 * each peak RSS is its own. Measured in the same run, per second of CPU
 * time, which a shared machine inflates less than the wall clock (with one
 * thread, the default):
 *   - BLIS dgemm on the formation's tile shapes (TK x TK x W for S S^T, T x
 *     T x 784 for A A^T, T = 170 samples of K = 3 rows): the formation's
 *     GFLOP/s, counting the multiply-adds of the lower triangle, (nK)^2 W /
 *     2 + n^2 784 / 2, 2 flops each, is given as a ratio to it;
 *   - dsymv on G (one Lanczos step with it) against 2 (nK)^2 flops at the
 *     dgemm rate (js_gram_cost's step weight, 5), and the formation's time
 *     beyond its GEMMs at the dgemm rate in such steps (its FORM_PASSES, 25).
 *
 * usage: gram [--per-class M] [--hidden W] [--top R] [--threads N]
 *   defaults: M = 1000, W = 256, R = 50, N = 1 (the machine is shared:
 *   pass 0 for all cores on an idle one). Prints a table and a JSON line;
 *   "CPU s" is the child's CPU time for form + solve. */
#include "measure.h"

#include "core/blas.h"

#include <jacspec.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TOP 512

typedef struct config {
  int64_t per_class, hidden, top;
  int threads;
  int explicit_gram; /* the mode of this child */
} config;

typedef struct result {
  double form_seconds, solve_seconds, form_cpu, solve_cpu; /* wall, CPU */
  int64_t rows, cols, rank, n_apply, n_apply_t, n_gram;
  double sigma[MAX_TOP];
  double dgemm_gflops, symv_seconds; /* dgemm per CPU second; symv in CPU seconds */
} result;

/* GFLOP/s of dgemm C = A B^T, A m x k and B n x k, as the tiles use it,
 * per second of CPU time (the best of five). */
static double dgemm_rate(int64_t m, int64_t n, int64_t k) {
  double *a = calloc((size_t)(m * k), sizeof(double)), *b = calloc((size_t)(n * k), 8),
         *c = calloc((size_t)(m * n), sizeof(double));
  double best = 0;
  for (int64_t i = 0; a && b && i < m * k; i++)
    a[i] = 1.0 / (double)(i % 7 + 1);
  for (int64_t i = 0; a && b && i < n * k; i++)
    b[i] = 1.0 / (double)(i % 5 + 1);
  for (int rep = 0; a && b && c && rep < 5; rep++) {
    int calls = 0;
    double start = bench_cpu_now(), elapsed;
    do {
      js_gemm(0, 1, m, n, k, 1.0, a, k, b, k, 0.0, c, n);
      calls++;
    } while ((elapsed = bench_cpu_now() - start) < 0.2);
    double rate = 2.0 * (double)(m * n * k) * calls / elapsed * 1e-9;
    best = rate > best ? rate : best;
  }
  free(a);
  free(b);
  free(c);
  return best;
}

static int run(const void *ctx, void *out) {
  const config *cfg = ctx;
  result *r = out;
  js_set_threads(cfg->threads);
  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *op = NULL, *gram = NULL;
  js_svds_result *res = NULL;
  int64_t widths[3] = {784, cfg->hidden, 3};
  js_mlp_options mo;
  js_mlp_options_init_defaults(&mo);
  mo.widths = widths;
  int rc = bench_fashion_mnist_3c(cfg->per_class, 0, 1, &data) ||
           js_net_create_mlp(&mo, &net);
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = cfg->top;
  so.want_vectors = 0;
  js_jacobian_options jac;
  js_jacobian_options_init_defaults(&jac);
  js_memory_plan plan;
  if (!rc) { /* as the command line plans it, for a budget of 8 GiB */
    r->rows = data->n_samples * 3;
    r->cols = js_net_n_params(net);
    rc = js_plan_memory(net, JS_PRECISION_DOUBLE, data->n_samples, so.top,
                        js_svds_memory_bytes(&so, r->rows, r->cols), (size_t)8 << 30, &plan);
    jac.batch_size = plan.batch_size;
    jac.cache_limit = plan.cache_limit;
  }
  if (!rc)
    rc = js_jacobian_create(net, data, &jac, &op);
  double start = bench_now(), cpu = bench_cpu_now();
  if (!rc && cfg->explicit_gram) {
    rc = js_jacobian_gram(op, &gram);
    r->form_seconds = bench_now() - start;
    r->form_cpu = bench_cpu_now() - cpu;
    so.gram = gram;
  }
  if (!rc) {
    start = bench_now();
    cpu = bench_cpu_now();
    int status = js_svds(op, &so, &res);
    r->solve_seconds = bench_now() - start;
    r->solve_cpu = bench_cpu_now() - cpu;
    rc = status != JS_OK && status != JS_ENOCONV;
  }
  if (!rc) {
    r->rank = res->rank < MAX_TOP ? res->rank : MAX_TOP;
    memcpy(r->sigma, res->sigma, sizeof(double) * (size_t)r->rank);
    r->n_apply = res->n_apply;
    r->n_apply_t = res->n_apply_t;
    r->n_gram = res->n_gram;
  }
  if (!rc && gram) { /* one Lanczos step with G, best of a few */
    int64_t N = r->rows;
    double *x = calloc((size_t)N, sizeof(double)), *y = calloc((size_t)N, sizeof(double));
    r->symv_seconds = 1e30;
    for (int rep = 0; x && y && rep < 5; rep++) {
      for (int64_t i = 0; i < N; i++)
        x[i] = 1.0 / (double)(i % 11 + 1);
      start = bench_cpu_now();
      rc |= js_linop_apply(gram, 1, x, y);
      double elapsed = bench_cpu_now() - start;
      r->symv_seconds = elapsed < r->symv_seconds ? elapsed : r->symv_seconds;
    }
    rc |= !x || !y;
    free(x);
    free(y);
  }
  if (!rc && gram) { /* the formation's two GEMM shapes, by their flops */
    int64_t T = 512 / 3, k = cfg->hidden;
    double rate_s = dgemm_rate(3 * T, 3 * T, k), rate_a = dgemm_rate(T, T, 784);
    double fs = 9.0 * k, fa = 784.0; /* flops of each per pair of samples */
    r->dgemm_gflops = (fs + fa) / (fs / rate_s + fa / rate_a);
  }
  if (rc)
    fprintf(stderr, "gram: %s\n", js_last_error());
  js_svds_result_free(res);
  js_linop_free(gram);
  js_linop_free(op);
  js_net_free(net);
  js_dataset_free(data);
  return rc;
}

int main(int argc, char **argv) {
  config cfg = {.per_class = bench_arg(argc, argv, "--per-class", 1000),
                .hidden = bench_arg(argc, argv, "--hidden", 256),
                .top = bench_arg(argc, argv, "--top", 50),
                .threads = (int)bench_arg(argc, argv, "--threads", 1)};
  if (cfg.per_class < 1 || cfg.hidden < 1 || cfg.top < 1 || cfg.top > MAX_TOP ||
      cfg.threads < 0) {
    fprintf(stderr, "usage: gram [--per-class M] [--hidden W] [--top R (<= %d)] "
            "[--threads N]\n", MAX_TOP);
    return 2;
  }
  printf("Fashion-MNIST 3 x %lld images, 784-%lld-3 softplus, W1 trained; top %lld, "
         "%d thread%s\n", (long long)cfg.per_class, (long long)cfg.hidden, (long long)cfg.top,
         cfg.threads, cfg.threads == 1 ? "" : "s");
  printf("%-9s %8s %8s %8s %8s %9s %16s %9s %10s\n", "Gram", "form s", "solve s", "total s",
         "CPU s", "peak MB", "J + J^T + G", "GFLOP/s", "/ dgemm");
  result r[2] = {{0}};
  double peak[2] = {0};
  for (int e = 0; e < 2; e++) {
    cfg.explicit_gram = e;
    if (bench_run_in_child(run, &cfg, &r[e], sizeof r[e], &peak[e])) {
      if (access(JS_FASHION_MNIST_DIR, 0) != 0)
        return 77; /* the data set is not installed */
      return 1;
    }
  }
  double diff = 0;
  for (int64_t s = 0; s < r[0].rank && s < r[1].rank; s++)
    diff = fmax(diff, fabs(r[1].sigma[s] - r[0].sigma[s]) / r[0].sigma[0]);
  double N = (double)r[1].rows, n = N / 3;
  double gemm_flops = N * N * (double)cfg.hidden + n * n * 784.0;
  double form_gflops = gemm_flops / r[1].form_cpu * 1e-9; /* per CPU second, as dgemm's */
  for (int e = 0; e < 2; e++) {
    printf("%-9s %8.2f %8.2f %8.2f %8.2f %9.0f %5lld+%-4lld+%-5lld",
           e ? "explicit" : "implicit", r[e].form_seconds, r[e].solve_seconds,
           r[e].form_seconds + r[e].solve_seconds, r[e].form_cpu + r[e].solve_cpu,
           peak[e] / 1e6, (long long)r[e].n_apply, (long long)r[e].n_apply_t,
           (long long)r[e].n_gram);
    if (e)
      printf(" %9.1f %10.2f", form_gflops, form_gflops / r[1].dgemm_gflops);
    printf("\n");
  }
  double symv_weight = r[1].symv_seconds * r[1].dgemm_gflops * 1e9 / (2.0 * N * N);
  double passes = (r[1].form_cpu - gemm_flops / (r[1].dgemm_gflops * 1e9)) / r[1].symv_seconds;
  printf("# sigma: largest difference %.2e sigma_1 over %lld values; dgemm %.1f GFLOP/s; one "
         "G x %.1f ms, %.1f times its 2 (nK)^2 flops at the dgemm rate (js_gram_cost: 5); "
         "forming beyond its GEMMs: %.1f such steps (25)\n",
         diff, (long long)r[0].rank, r[1].dgemm_gflops, r[1].symv_seconds * 1e3, symv_weight,
         passes);
  printf("{\"bench\": \"gram\", \"per_class\": %lld, \"hidden\": %lld, \"top\": %lld, "
         "\"threads\": %d, \"rows\": %lld, \"cols\": %lld, \"implicit_seconds\": %.3f, "
         "\"explicit_form_seconds\": %.3f, \"explicit_solve_seconds\": %.3f, "
         "\"implicit_cpu_seconds\": %.3f, \"explicit_cpu_seconds\": %.3f, "
         "\"implicit_peak_mb\": %.0f, \"explicit_peak_mb\": %.0f, \"form_gflops\": %.2f, "
         "\"dgemm_gflops\": %.2f, \"form_over_dgemm\": %.3f, \"symv_ms\": %.2f, "
         "\"symv_weight\": %.2f, \"form_passes\": %.1f, \"sigma_max_diff\": %.3g, "
         "\"implicit_products\": [%lld, %lld], "
         "\"explicit_products\": [%lld, %lld, %lld]}\n",
         (long long)cfg.per_class, (long long)cfg.hidden, (long long)cfg.top, cfg.threads,
         (long long)r[0].rows, (long long)r[0].cols, r[0].solve_seconds, r[1].form_seconds,
         r[1].solve_seconds, r[0].solve_cpu, r[1].form_cpu + r[1].solve_cpu, peak[0] / 1e6,
         peak[1] / 1e6, form_gflops, r[1].dgemm_gflops, form_gflops / r[1].dgemm_gflops,
         r[1].symv_seconds * 1e3, symv_weight, passes, diff,
         (long long)r[0].n_apply, (long long)r[0].n_apply_t, (long long)r[1].n_apply,
         (long long)r[1].n_apply_t, (long long)r[1].n_gram);
  return 0;
}

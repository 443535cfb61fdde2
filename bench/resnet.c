/* bench/resnet: the products and the top-r solve of the paper's ResNet20
 * (no batch norm) on Fashion-MNIST, next to BLIS's dgemm and sgemm on the
 * convolutions' own GEMM shapes, measured in the same run.
 *
 * Flops counted (2 per multiply-add, elementwise work not counted): for
 * every convolution and dense layer on the tangents' path, its forward
 * GEMM's flops once for the propagated term (when its input carries a
 * tangent) and once for the weight term (when its weight is trained).
 * JVP and VJP count the same; the Gram product J J^T u = VJP + JVP.
 * GEMM reference: for each convolution (F filters, K = C kh kw, P = H'W'
 * pixels), dgemm / sgemm of F x K times K x 1024 (the ops' im2col chunk
 * holds about 1024 columns), timed alone; a product's reference time is
 * the sum of its layers' flops over their GEMM rates.
 *
 * usage: resnet [--per-class M] [--width W] [--depth D] [--top R] [--threads N]
 *   defaults: M = 1000 (3 classes: T-shirt, trouser, pullover), W = 16,
 *   D = 20, R = 50, all cores. --top 0 skips the solves. */
#include "measure.h"

#include "core/blas.h"
#include "core/rng.h"
#include "model/graph.h"

#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_SECONDS 1.0

typedef struct config {
  int64_t per_class, width, top;
  int depth, threads;
  js_precision precision;
} config;

typedef struct result {
  double jvp, vjp, gram;       /* seconds per single-vector product */
  double gemm_jvp;             /* seconds the counted flops take at the GEMM rate */
  double flops;                /* of one JVP */
  double solve_seconds;
  int64_t n_apply, n_apply_t, rank, rows, cols;
  double sigma_1, sigma_r;
  size_t cache_bytes;
  int64_t batch;
} result;

/* Seconds per call of C = A B with A m x k and B k x n, in the precision. */
static double gemm_seconds(int64_t m, int64_t k, int64_t n, js_precision precision) {
  size_t elem = precision == JS_PRECISION_SINGLE ? sizeof(float) : sizeof(double);
  void *a = calloc((size_t)(m * k), elem), *b = calloc((size_t)(k * n), elem),
       *c = calloc((size_t)(m * n), elem);
  double best = 1e30;
  for (int rep = 0; a && b && c && rep < 5; rep++) {
    int calls = 0;
    double start = bench_now(), elapsed;
    do {
      if (precision == JS_PRECISION_SINGLE)
        js_sgemm(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
      else
        js_gemm(0, 0, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
      calls++;
    } while ((elapsed = bench_now() - start) < 0.05);
    best = elapsed / calls < best ? elapsed / calls : best;
  }
  free(a);
  free(b);
  free(c);
  return best;
}

/* The JVP's flops per sample and their time at the GEMM rate. */
static void count_flops(const js_net *net, js_precision precision, double *flops,
                        double *seconds) {
  unsigned char *active = calloc((size_t)net->n_nodes, 1);
  *flops = *seconds = 0;
  for (int i = 1; active && i < net->n_nodes; i++) {
    const js_node *node = &net->nodes[i];
    int trained = node->param[0] >= 0 && net->params[node->param[0]].trained;
    int input_active = active[node->input[0]] || (node->n_inputs > 1 && active[node->input[1]]);
    active[i] = (unsigned char)(trained || input_active);
    if (node->kind != JS_OP_CONV2D && node->kind != JS_OP_DENSE)
      continue;
    int64_t m = node->kind == JS_OP_CONV2D ? node->shape.dim[0] : node->size;
    int64_t k = node->kind == JS_OP_CONV2D ? node->in_shape.dim[0] * node->window.kernel[0] *
                                                 node->window.kernel[1]
                                           : node->in_size;
    int64_t pixels = node->kind == JS_OP_CONV2D ? node->shape.dim[1] * node->shape.dim[2] : 1;
    double gemm = 2.0 * (double)(m * k * pixels);
    int terms = trained + active[node->input[0]];
    int64_t columns = node->kind == JS_OP_CONV2D ? 1024 : 256;
    double rate = 2.0 * (double)(m * k * columns) / gemm_seconds(m, k, columns, precision);
    *flops += terms * gemm;
    *seconds += terms * gemm / rate;
  }
  free(active);
}

/* Seconds per call of one product kind (0: J v, 1: J^T u, 2: J J^T u). */
static double time_product(js_linop *op, int kind, double *v, double *u, double *p_tmp) {
  double best = 1e30;
  for (int rep = 0; rep < 3; rep++) {
    double start = bench_now();
    int rc = kind == 0 ? js_linop_apply(op, 1, v, u)
             : kind == 1 ? js_linop_apply_t(op, 1, u, v)
                         : (js_linop_apply_t(op, 1, u, p_tmp) || js_linop_apply(op, 1, p_tmp, u));
    double elapsed = bench_now() - start;
    if (rc)
      return -1;
    best = elapsed < best ? elapsed : best;
    if (elapsed * (rep + 1) > 3 * MIN_SECONDS)
      break;
  }
  return best;
}

static int run(const void *ctx, void *out) {
  const config *cfg = ctx;
  result *r = out;
  js_set_threads(cfg->threads);
  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  double *v = NULL, *u = NULL, *tmp = NULL;
  js_resnet_options ro;
  js_resnet_options_init_defaults(&ro);
  ro.depth = cfg->depth;
  ro.width = cfg->width;
  ro.n_outputs = 3;
  int rc = bench_fashion_mnist_3c(cfg->per_class, 0, 1, &data);
  if (!rc) {
    ro.input = data->shape;
    rc = js_net_create_resnet(&ro, &net);
  }
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = cfg->top > 0 ? cfg->top : 1;
  so.want_vectors = 0;
  js_memory_plan plan;
  js_jacobian_options jac;
  js_jacobian_options_init_defaults(&jac);
  jac.precision = cfg->precision;
  if (!rc) {
    int64_t rows = data->n_samples * 3, cols = js_net_n_params(net);
    size_t budget = (size_t)8 << 30;
    rc = js_plan_memory(net, cfg->precision, data->n_samples, so.top,
                        js_svds_memory_bytes(&so, rows, cols), budget, &plan);
    jac.batch_size = plan.batch_size;
    jac.cache_limit = plan.cache_limit;
    r->cache_bytes = plan.cache_bytes;
    r->batch = plan.batch_size;
  }
  if (!rc)
    rc = js_jacobian_create(net, data, &jac, &op);
  if (!rc) {
    r->rows = js_linop_rows(op);
    r->cols = js_linop_cols(op);
    v = malloc(sizeof(double) * (size_t)r->cols);
    tmp = malloc(sizeof(double) * (size_t)r->cols);
    u = malloc(sizeof(double) * (size_t)r->rows);
    rc = !v || !u || !tmp;
  }
  if (!rc) {
    js_rng rng;
    js_rng_seed(&rng, 3);
    for (int64_t i = 0; i < r->cols; i++)
      v[i] = js_rng_normal(&rng);
    for (int64_t i = 0; i < r->rows; i++)
      u[i] = js_rng_normal(&rng);
    rc = js_linop_apply(op, 1, v, u); /* fills the cache */
  }
  if (!rc) {
    r->jvp = time_product(op, 0, v, u, tmp);
    r->vjp = time_product(op, 1, v, u, tmp);
    r->gram = time_product(op, 2, v, u, tmp);
    rc = r->jvp < 0 || r->vjp < 0 || r->gram < 0;
    double per_sample_flops, per_sample_seconds;
    count_flops(net, cfg->precision, &per_sample_flops, &per_sample_seconds);
    r->flops = per_sample_flops * (double)data->n_samples;
    r->gemm_jvp = per_sample_seconds * (double)data->n_samples;
  }
  if (!rc && cfg->top > 0) {
    js_linop_reset_counts(op);
    double start = bench_now();
    int status = js_svds(op, &so, &res);
    r->solve_seconds = bench_now() - start;
    rc = status != JS_OK && status != JS_ENOCONV;
    if (!rc) {
      r->n_apply = res->n_apply;
      r->n_apply_t = res->n_apply_t;
      r->rank = res->rank;
      r->sigma_1 = res->rank ? res->sigma[0] : 0;
      r->sigma_r = res->rank ? res->sigma[res->rank - 1] : 0;
    }
  }
  if (rc)
    fprintf(stderr, "resnet: %s\n", js_last_error());
  free(v);
  free(u);
  free(tmp);
  js_svds_result_free(res);
  js_linop_free(op);
  js_net_free(net);
  js_dataset_free(data);
  return rc;
}

int main(int argc, char **argv) {
  config cfg = {.per_class = bench_arg(argc, argv, "--per-class", 1000),
                .width = bench_arg(argc, argv, "--width", 16),
                .top = bench_arg(argc, argv, "--top", 50),
                .depth = (int)bench_arg(argc, argv, "--depth", 20),
                .threads = (int)bench_arg(argc, argv, "--threads", 0)};
  printf("ResNet%d width %lld on Fashion-MNIST, 3 classes x %lld images; top %lld\n",
         cfg.depth, (long long)cfg.width, (long long)cfg.per_class, (long long)cfg.top);
  printf("%-9s %9s %9s %9s %8s %8s %8s %10s %9s %8s %9s\n", "precision", "JVP s", "VJP s",
         "Gram s", "JVP/gemm", "VJP/gemm", "Gram/gm", "peak MB", "cache MB", "solve s",
         "products");
  for (int single = 0; single < 2; single++) {
    cfg.precision = single ? JS_PRECISION_SINGLE : JS_PRECISION_DOUBLE;
    result r = {0};
    double peak = 0;
    if (bench_run_in_child(run, &cfg, &r, sizeof r, &peak)) {
      if (access(JS_FASHION_MNIST_DIR, 0) != 0)
        return 77; /* the data set is not installed */
      return 1;
    }
    printf("%-9s %9.3f %9.3f %9.3f %8.2f %8.2f %8.2f %10.0f %9.0f %8.1f %4lld+%-4lld\n",
           single ? "single" : "double", r.jvp, r.vjp, r.gram, r.gemm_jvp / r.jvp,
           r.gemm_jvp / r.vjp, 2 * r.gemm_jvp / r.gram, peak / 1e6, (double)r.cache_bytes / 1e6,
           r.solve_seconds, (long long)r.n_apply, (long long)r.n_apply_t);
    printf("{\"precision\": \"%s\", \"rows\": %lld, \"cols\": %lld, \"jvp_gflops\": %.2f, "
           "\"vjp_gflops\": %.2f, \"gram_gflops\": %.2f, \"gemm_gflops\": %.2f, "
           "\"peak_rss_mb\": %.0f, \"batch\": %lld, \"solve_seconds\": %.2f, \"rank\": %lld, "
           "\"sigma_1\": %.12g, \"sigma_r\": %.12g}\n",
           single ? "single" : "double", (long long)r.rows, (long long)r.cols,
           r.flops / r.jvp / 1e9, r.flops / r.vjp / 1e9, 2 * r.flops / r.gram / 1e9,
           r.flops / r.gemm_jvp / 1e9, peak / 1e6, (long long)r.batch, r.solve_seconds,
           (long long)r.rank, r.sigma_1, r.sigma_r);
    fflush(stdout);
  }
  return 0;
}

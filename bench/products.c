/* bench/products: GFLOP/s of the Jacobian products J v (JVP), J^T u (VJP)
 * and the Gram product of the solver's side, with and without the
 * activation cache, in double and in single precision, next to BLIS dgemm
 * on the products' own GEMM shapes, measured in the same run. The figure
 * of merit is the ratio to dgemm (single precision may exceed 1).
 *
 * Flops counted (multiply-adds of the products' GEMMs, 2 flops each; the
 * elementwise phi' scaling and the forward pass an uncached product must
 * redo are NOT counted, so recomputation shows up as a lower rate):
 *   for each layer l from the lowest trained one up to L, per sample and
 *   vector, 2 m_{l-1} m_l for the weight term when W_l is trained, plus
 *   2 m_{l-1} m_l for the propagated term when l is above the lowest
 *   trained layer. JVP and VJP count the same; Gram = JVP + VJP.
 * dgemm reference: the lowest trained layer's two GEMMs over all n samples
 * at once, X W^T (n x m_lo, inner m_{lo-1}) for the JVP and dZ^T X
 * (m_lo x m_{lo-1}, inner n) for the VJP; the Gram product is compared to
 * the time-weighted mean of the two (equal flops, so the harmonic mean).
 *
 * usage: products [--quick] [--threads N]
 *   --quick: the two smallest shapes; --threads: as js_set_threads (default
 *   0, all cores). Run it on an otherwise idle machine: BLIS's OpenMP
 *   threads busy-wait, so a core taken by another program slows every GEMM
 *   down several-fold. */
#include "measure.h"

#include "core/blas.h"
#include "core/rng.h"

#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 4 /* hidden layers of the deepest shape */

typedef struct shape {
  int64_t n, d, width, K;
  int depth;        /* hidden layers */
  uint32_t trained; /* bit l-1: W_l trained */
  int64_t block;    /* vectors per product */
} shape;

static const shape shapes[] = {
    {1000, 128, 256, 10, 1, 1u, 1},
    {2000, 256, 512, 10, 1, 1u, 1}, /* the target: the paper's net */
    {2000, 256, 512, 10, 1, 1u, 8},
    {4000, 512, 1024, 10, 1, 1u, 1},
    {2000, 256, 512, 10, 2, 3u, 1}, /* two hidden layers, W_1 and W_2 trained */
    {2000, 256, 512, 10, 2, 7u, 4},
};
#define N_SHAPES ((int)(sizeof shapes / sizeof shapes[0]))

/* Seconds a measurement runs at least (after one warm-up call). */
#define MIN_SECONDS 0.4

typedef struct rates {
  double jvp, vjp, gram;     /* GFLOP/s */
  double dgemm_fwd, dgemm_bwd, dgemm_gram;
} rates;

/* Flops of a product: 2 m_{l-1} m_l per sample and vector for each
 * trained layer (its dW term) and each layer above the lowest trained one
 * (the tangent's term). */
static double product_flops(int n_layers, const int64_t *widths, uint32_t trained, int64_t n,
                            int64_t b) {
  int lo = 1;
  while (!(trained & (1u << (lo - 1))))
    lo++;
  double per_sample = 0;
  for (int l = lo; l <= n_layers; l++) {
    double gemm = 2.0 * (double)widths[l - 1] * (double)widths[l];
    per_sample += ((trained >> (l - 1)) & 1u) ? gemm : 0.0;
    per_sample += l > lo ? gemm : 0.0;
  }
  return per_sample * (double)n * (double)b;
}

/* The MLP of a shape: depth hidden layers of `width`. */
static int shape_widths(const shape *s, int64_t *widths) {
  int n_layers = s->depth + 1;
  widths[0] = s->d;
  for (int l = 1; l <= s->depth; l++)
    widths[l] = s->width;
  widths[n_layers] = s->K;
  return n_layers;
}

typedef struct call {
  js_linop *op;
  int kind; /* 0: J v, 1: J^T u, 2: Gram of the smaller side */
  int64_t b;
  double *v, *u;   /* p x b, nK x b */
} call;

static int run_call(call *c) {
  js_linop *op = c->op;
  int outputs = js_linop_rows(op) <= js_linop_cols(op);
  switch (c->kind) {
  case 0: return js_linop_apply(op, c->b, c->v, c->u);
  case 1: return js_linop_apply_t(op, c->b, c->u, c->v);
  default:
    if (outputs) /* J J^T u: J^T u into v, then J v into u */
      return js_linop_apply_t(op, c->b, c->u, c->v) || js_linop_apply(op, c->b, c->v, c->u);
    return js_linop_apply(op, c->b, c->v, c->u) || js_linop_apply_t(op, c->b, c->u, c->v);
  }
}

/* Seconds per call: one warm-up (fills the cache), then repeats for at
 * least MIN_SECONDS. The vectors are rescaled between calls so that Gram
 * iterations neither overflow nor underflow. */
static double time_call(call *c, int64_t rows, int64_t cols) {
  if (run_call(c))
    return -1;
  int reps = 0;
  double start = bench_now(), elapsed;
  do {
    if (run_call(c))
      return -1;
    js_scal(rows * c->b, 1.0 / (1.0 + js_nrm2(rows * c->b, c->u)), c->u);
    js_scal(cols * c->b, 1.0 / (1.0 + js_nrm2(cols * c->b, c->v)), c->v);
    reps++;
    elapsed = bench_now() - start;
  } while (elapsed < MIN_SECONDS || reps < 3);
  return elapsed / reps;
}

/* GFLOP/s of C = op(A) op(B), m x n with inner k, repeated MIN_SECONDS. */
static double dgemm_rate(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k) {
  double *a = malloc(sizeof(double) * (size_t)(m * k));
  double *b = malloc(sizeof(double) * (size_t)(k * n));
  double *c = malloc(sizeof(double) * (size_t)(m * n));
  double rate = 0;
  if (a && b && c) {
    for (int64_t i = 0; i < m * k; i++)
      a[i] = 1.0 / (double)(i % 97 + 1);
    for (int64_t i = 0; i < k * n; i++)
      b[i] = 1.0 / (double)(i % 89 + 1);
    int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
    js_gemm(trans_a, trans_b, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
    int reps = 0;
    double start = bench_now(), elapsed;
    do {
      js_gemm(trans_a, trans_b, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
      reps++;
      elapsed = bench_now() - start;
    } while (elapsed < MIN_SECONDS || reps < 3);
    rate = 2.0 * (double)m * (double)n * (double)k * reps / elapsed / 1e9;
  }
  free(a);
  free(b);
  free(c);
  return rate;
}

static int build(const shape *s, size_t cache_limit, js_precision precision,
                 js_dataset **data, js_net **net, js_linop **op) {
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  int64_t widths[MAX_DEPTH + 2];
  opt.n_layers = shape_widths(s, widths);
  opt.widths = widths;
  char train[64] = "";
  for (int l = 1; l <= opt.n_layers; l++)
    if (s->trained & (1u << (l - 1)))
      snprintf(train + strlen(train), sizeof train - strlen(train), "%sW%d", *train ? "," : "",
               l);
  if (js_dataset_create(s->n, s->d, s->K, 0, data) || js_net_create_mlp(&opt, net) ||
      js_net_set_trained(*net, train))
    return 1;
  js_rng rng;
  js_rng_seed(&rng, 7);
  for (int64_t i = 0; i < s->n * s->d; i++)
    (*data)->x[i] = js_rng_normal(&rng);
  js_jacobian_options jac;
  js_jacobian_options_init_defaults(&jac);
  jac.cache_limit = cache_limit;
  jac.precision = precision;
  return js_dataset_normalize(*data) || js_jacobian_create(*net, *data, &jac, op);
}

/* Rates of the three products for one shape, cache setting and precision. */
static int measure(const shape *s, int cached, js_precision precision, rates *r) {
  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *op = NULL;
  call c = {.b = s->block};
  int rc = build(s, cached ? (size_t)1 << 34 : 0, precision, &data, &net, &op);
  int64_t rows = rc ? 0 : js_linop_rows(op), cols = rc ? 0 : js_linop_cols(op);
  if (!rc) {
    c.op = op;
    c.v = malloc(sizeof(double) * (size_t)(cols * c.b));
    c.u = malloc(sizeof(double) * (size_t)(rows * c.b));
    rc = !c.v || !c.u;
  }
  if (!rc) {
    js_rng rng;
    js_rng_seed(&rng, 3);
    for (int64_t i = 0; i < cols * c.b; i++)
      c.v[i] = js_rng_normal(&rng);
    for (int64_t i = 0; i < rows * c.b; i++)
      c.u[i] = js_rng_normal(&rng);
    int64_t widths[MAX_DEPTH + 2];
    int n_layers = shape_widths(s, widths);
    double flops = product_flops(n_layers, widths, s->trained, s->n, s->block);
    double t[3];
    for (c.kind = 0; c.kind < 3 && !rc; c.kind++)
      rc = (t[c.kind] = time_call(&c, rows, cols)) < 0;
    if (!rc) {
      r->jvp = flops / t[0] / 1e9;
      r->vjp = flops / t[1] / 1e9;
      r->gram = 2 * flops / t[2] / 1e9;
    }
  }
  if (rc)
    fprintf(stderr, "products: %s\n", js_last_error());
  free(c.v);
  free(c.u);
  js_linop_free(op);
  js_net_free(net);
  js_dataset_free(data);
  return rc;
}

/* dgemm on the lowest trained layer's shapes (see the top comment). */
static void measure_dgemm(const shape *s, rates *r) {
  int lo = 1;
  while (!(s->trained & (1u << (lo - 1))))
    lo++;
  int64_t in = lo == 1 ? s->d : s->width, out = s->width;
  r->dgemm_fwd = dgemm_rate(0, 1, s->n * s->block, out, in);
  r->dgemm_bwd = dgemm_rate(1, 0, out, in, s->n);
  r->dgemm_gram = 2.0 / (1.0 / r->dgemm_fwd + 1.0 / r->dgemm_bwd);
}

int main(int argc, char **argv) {
  int quick = 0, threads = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = 1;
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
      threads = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: products [--quick] [--threads N]\n");
      return 2;
    }
  }
  int n_shapes = quick ? 2 : N_SHAPES;
  threads = js_set_threads(threads);
  if (threads < 0) {
    fprintf(stderr, "products: %s\n", js_last_error());
    return 2;
  }
  printf("# Jacobian products vs BLIS dgemm, %d threads; GFLOP/s (ratio to dgemm)\n",
         threads);
  printf("%5s %4s %5s %3s %2s %5s %3s %5s %6s | %14s %14s %14s | %6s %6s\n", "n", "d",
         "width", "K", "L", "train", "b", "cache", "prec", "JVP", "VJP", "Gram", "dgemmF",
         "dgemmB");
  char json[16384];
  size_t used = (size_t)snprintf(json, sizeof json,
                                 "{\"bench\":\"products\",\"threads\":%d,\"rows\":[", threads);
  int first = 1;
  for (int i = 0; i < n_shapes; i++) {
    const shape *s = &shapes[i];
    rates r;
    measure_dgemm(s, &r);
    for (int run = 0; run < 4; run++) {
      int cached = run & 1;
      js_precision precision = run < 2 ? JS_PRECISION_DOUBLE : JS_PRECISION_SINGLE;
      const char *prec = run < 2 ? "double" : "single";
      if (measure(s, cached, precision, &r))
        return 1;
      printf("%5lld %4lld %5lld %3lld %2d %5x %3lld %5s %6s | %6.1f (%4.2f) %6.1f (%4.2f) "
             "%6.1f (%4.2f) | %6.1f %6.1f\n",
             (long long)s->n, (long long)s->d, (long long)s->width, (long long)s->K,
             s->depth + 1, s->trained, (long long)s->block, cached ? "on" : "off", prec, r.jvp,
             r.jvp / r.dgemm_fwd, r.vjp, r.vjp / r.dgemm_bwd, r.gram, r.gram / r.dgemm_gram,
             r.dgemm_fwd, r.dgemm_bwd);
      fflush(stdout);
      if (used < sizeof json)
        used += (size_t)snprintf(
            json + used, sizeof json - used,
            "%s{\"n\":%lld,\"d\":%lld,\"width\":%lld,\"K\":%lld,\"layers\":%d,"
            "\"trained\":%u,\"block\":%lld,\"cache\":%s,\"precision\":\"%s\","
            "\"jvp_gflops\":%.2f,"
            "\"vjp_gflops\":%.2f,\"gram_gflops\":%.2f,\"dgemm_fwd_gflops\":%.2f,"
            "\"dgemm_bwd_gflops\":%.2f,\"gram_ratio\":%.3f}",
            first ? "" : ",", (long long)s->n, (long long)s->d, (long long)s->width,
            (long long)s->K, s->depth + 1, s->trained, (long long)s->block,
            cached ? "true" : "false", prec, r.jvp, r.vjp, r.gram, r.dgemm_fwd, r.dgemm_bwd,
            r.gram / r.dgemm_gram);
      first = 0;
    }
  }
  if (used < sizeof json)
    printf("%s]}\n", json);
  return 0;
}

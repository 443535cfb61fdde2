/* js_density against spectra known exactly: J = U diag(s) padded with
 * zero columns (or rows), U a random orthogonal N x N matrix, so the
 * singular values are s by construction (to rounding: U^T U = I to 1e-15)
 * and the Gram side's eigenvectors are dense, as a network's are. Checked:
 * the Kolmogorov distance of the estimated CDF (nodes and weights) to the
 * exact one, the histogram's total, c(alpha) within 3 standard errors, the
 * product counts, breakdown on invariant subspaces, options.
 *
 * Letters: N = min(rows, cols), the Gram side's size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/blas.h"
#include "jacspec.h"
#include "orthonormal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ operator */

typedef struct padded_op {
  int64_t rows, cols, n;
  double *u; /* N x N column-major (the row-major array of U^T) */
  double *s; /* N singular values */
  double *t; /* N x block scratch */
  int64_t capacity;
} padded_op;

/* z (b x N row-major, i.e. b vectors) = U x or U^T x, then scaled by s
 * where `scale_first`, before the product. */
static void rotate(padded_op *d, int transpose, int64_t b, const double *in, int64_t ld_in,
                   double *out, int64_t ld_out) {
  /* (U x)^T = x^T U^T: the array as stored; (U^T x)^T = x^T U. */
  js_gemm(0, transpose, b, d->n, d->n, 1.0, in, ld_in, d->u, d->n, 0.0, out, ld_out);
}

static int padded_apply(void *ctx, int transpose, int64_t b, const double *in,
                        double *out) {
  padded_op *d = ctx;
  int64_t n = d->n, m_in = transpose ? d->rows : d->cols, m_out = transpose ? d->cols : d->rows;
  assert_true(b <= d->capacity);
  memset(out, 0, sizeof(double) * (size_t)(m_out * b));
  /* outputs side small (rows = N): J = U diag(s) [I 0];
   * params side small (cols = N): J = [I 0]^T diag(s) U^T. */
  int u_on_rows = d->rows == n;
  if (u_on_rows != transpose) { /* J x = U (s .* x[:N])  or  J^T y = U (s .* y[:N]) */
    for (int64_t c = 0; c < b; c++)
      for (int64_t i = 0; i < n; i++)
        d->t[c * n + i] = d->s[i] * in[c * m_in + i];
    rotate(d, 0, b, d->t, n, out, m_out);
  } else { /* s .* (U^T x), padded */
    rotate(d, 1, b, in, m_in, d->t, n);
    for (int64_t c = 0; c < b; c++)
      for (int64_t i = 0; i < n; i++)
        out[c * m_out + i] = d->s[i] * d->t[c * n + i];
  }
  return JS_OK;
}

typedef double (*spectrum_fn)(int64_t i, int64_t n);

typedef struct problem {
  padded_op d;
  js_linop *op;
  double *sorted; /* s ascending */
} problem;

static int ascending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void problem_init(problem *pb, int64_t rows, int64_t cols, spectrum_fn spectrum,
                         uint64_t seed) {
  int64_t n = rows < cols ? rows : cols;
  js_rng rng;
  js_rng_seed(&rng, seed);
  pb->d = (padded_op){.rows = rows, .cols = cols, .n = n, .capacity = 64};
  pb->d.u = orthonormal((int)n, (int)n, &rng);
  pb->d.s = calloc((size_t)n, sizeof(double));
  pb->d.t = calloc((size_t)(n * pb->d.capacity), sizeof(double));
  pb->sorted = calloc((size_t)n, sizeof(double));
  assert_non_null(pb->d.s);
  assert_non_null(pb->d.t);
  assert_non_null(pb->sorted);
  for (int64_t i = 0; i < n; i++)
    pb->sorted[i] = pb->d.s[i] = spectrum(i, n);
  qsort(pb->sorted, (size_t)n, sizeof(double), ascending);
  assert_int_equal(js_linop_create(rows, cols, padded_apply, &pb->d, &pb->op), JS_OK);
}

static void problem_free(problem *pb) {
  js_linop_free(pb->op);
  free(pb->d.u);
  free(pb->d.s);
  free(pb->d.t);
  free(pb->sorted);
}

/* ------------------------------------------------------------ spectra */

/* A network Jacobian's shape: a few large outliers (the information
 * space), a Marchenko-Pastur bulk (ratio 1/2, quantiles of its density by
 * bisection on the closed-form CDF being long, a Beta-like map instead:
 * the bulk's edges and square-root vanishing, which is what matters for
 * quadrature), and 10 % exact zeros (rank deficiency). */
static double spectrum_jacobian(int64_t i, int64_t n) {
  int64_t spikes = 12, zeros = n / 10;
  if (i < spikes)
    return 30.0 - 1.5 * (double)i;
  if (i >= n - zeros)
    return 0.0;
  double t = ((double)(i - spikes) + 0.5) / (double)(n - spikes - zeros);
  double x = 0.5 - 0.5 * cos(3.14159265358979323846 * t); /* dense near both edges */
  return sqrt(0.09 + (2.9 - 0.09) * (1 - x));
}

/* A Marchenko-Pastur-like bulk without outliers or zeros: the squared
 * values spread from 0.5 to 4 with a square-root edge at both ends. */
static double spectrum_bulk(int64_t i, int64_t n) {
  double t = ((double)i + 0.5) / (double)n;
  double x = 0.5 - 0.5 * cos(3.14159265358979323846 * t);
  return sqrt(0.5 + 3.5 * x);
}

/* Rank 5: the values 5, 4, 3, 2, 1, then zeros. */
static double spectrum_rank5(int64_t i, int64_t n) {
  (void)n;
  return i < 5 ? 5.0 - (double)i : 0.0;
}

static double spectrum_zero(int64_t i, int64_t n) {
  (void)i;
  (void)n;
  return 0.0;
}

/* ------------------------------------------------------------ checks */

/* sup_x |F_est(x) - F(x)| for the library's estimate F_est (monotone) and
 * the exact step function F: the supremum over each interval between two
 * exact values is at its ends, so F_est is checked on each side of every
 * exact value. */
static double kolmogorov(const js_density_result *res, const double *sorted) {
  int64_t n = res->size;
  double worst = 0;
  for (int64_t i = 0; i < n;) {
    double x = sorted[i], left = x - 1e-12 * (fabs(x) + 1e-300);
    int64_t j = i; /* sorted[i .. j-1] == x */
    while (j < n && sorted[j] == x)
      j++;
    worst = fmax(worst, fabs(js_density_cdf(res, left) - (double)i / (double)n));
    worst = fmax(worst, fabs(js_density_cdf(res, x) - (double)j / (double)n));
    i = j;
  }
  return worst;
}

static double total(const js_density_result *res) {
  double sum = res->below_range + res->above_range;
  for (int64_t i = 0; i < res->bins; i++)
    sum += res->counts[i];
  return sum;
}

static int64_t exact_above(const problem *pb, double alpha) {
  int64_t c = 0;
  for (int64_t i = 0; i < pb->d.n; i++)
    c += pb->sorted[i] > alpha;
  return c;
}

/* The default probes and steps on an N = 2000 problem: KS <= 0.03, the
 * histogram sums to N, c(alpha) within 3 standard errors, and the products
 * are probes x steps Gram products (one J and one J^T each). */
static void check_defaults(problem *pb, double alpha) {
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  opt.cutoff = alpha;
  js_density_result *res = NULL;
  assert_int_equal(js_density(pb->op, &opt, &res), JS_OK);
  double ks = kolmogorov(res, pb->sorted);
  double exact = (double)exact_above(pb, alpha);
  printf("# N = %lld: Kolmogorov distance %.4f; c(%g) = %.1f +- %.1f, exact %.0f; "
         "%lld + %lld products\n",
         (long long)res->size, ks, alpha, res->count_above, res->count_above_stderr, exact,
         (long long)res->n_apply, (long long)res->n_apply_t);
  assert_true(ks <= 0.03);
  assert_true(fabs(total(res) - (double)res->size) < 1e-8 * (double)res->size);
  assert_true(res->below_range == 0 && res->above_range == 0);
  assert_true(fabs(res->count_above - exact) <= 3 * res->count_above_stderr);
  assert_int_equal(res->breakdowns, 0);
  assert_int_equal(res->n_apply, opt.probes * opt.steps);
  assert_int_equal(res->n_apply_t, opt.probes * opt.steps);
  assert_int_equal(res->n_nodes, opt.probes * opt.steps);
  assert_true(res->sigma_max <= pb->sorted[res->size - 1] * (1 + 1e-12));
  /* Lanczos finds the top of the spectrum first: within 1 % at the edge
   * of a bulk, to 1e-8 for an outlier. */
  assert_true(res->sigma_max >= pb->sorted[res->size - 1] * (1 - 1e-2));
  js_density_result_free(res);
}

/* ------------------------------------------------------------ tests */

static void test_defaults(void **state) {
  (void)state;
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  assert_int_equal(opt.probe, JS_PROBE_RADEMACHER);
  assert_true(opt.range_lo == 0 && opt.range_hi == 0 && opt.cutoff == 0);
  assert_int_equal(opt.log_bins, 0);
  assert_null(opt.progress);
}

static void test_jacobian_like(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 2000, 2600, spectrum_jacobian, 3);
  check_defaults(&pb, 1.0);
  problem_free(&pb);
}

static void test_bulk_params_side(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 2600, 2000, spectrum_bulk, 5);
  check_defaults(&pb, 1.5);
  problem_free(&pb);
}

/* Rank 5 with distinct values: every probe's Krylov space is invariant
 * after 6 steps (5 values and the kernel), so Lanczos stops there and the
 * nodes are the exact values; the bins hold them exactly on average. */
static void test_breakdown(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 200, 300, spectrum_rank5, 7);
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  opt.bins = 11;
  opt.range_lo = -0.25;
  js_density_result *res = NULL;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_EINVAL);
  assert_null(res);
  opt.range_lo = 0;
  opt.range_hi = 5.5; /* bins of width 0.5 around 0, 1, ..., 5 */
  opt.cutoff = 2.5;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->breakdowns, opt.probes);
  assert_int_equal(res->n_apply, 6 * opt.probes);
  assert_int_equal(res->n_nodes, 6 * opt.probes);
  for (int64_t k = 0; k < res->n_nodes; k++) {
    double s = res->nodes[k], nearest = round(s);
    assert_true(fabs(s - nearest) < 1e-6 * 5);
  }
  /* Each bin with a value holds about 1 (the zeros: 195), within the
   * probes' spread; the ones between hold nothing. */
  for (int64_t i = 0; i < res->bins; i++) {
    double want = i == 0 ? 195 : i % 2 == 0 ? 1 : 0;
    assert_true(fabs(res->counts[i] - want) < (i == 0 ? 2.0 : 0.8));
  }
  assert_true(fabs(total(res) - 200) < 1e-9);
  assert_true(fabs(res->count_above - 3) <= 3 * res->count_above_stderr + 1e-9);
  js_density_result_free(res);
  problem_free(&pb);
}

/* J = 0: one step per probe, every singular value at 0, c(alpha) = 0. */
static void test_zero_operator(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 40, 30, spectrum_zero, 9);
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  opt.cutoff = 0.5;
  js_density_result *res = NULL;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->n_nodes, opt.probes);
  assert_int_equal(res->breakdowns, opt.probes);
  assert_true(res->sigma_max == 0);
  assert_true(res->edges[0] == 0 && res->edges[res->bins] > 0);
  assert_true(fabs(res->counts[0] - 30) < 1e-12);
  assert_true(res->count_above == 0 && res->count_above_stderr == 0);
  js_density_result_free(res);
  /* Log bins of a zero operator: all of it below the range. */
  opt.log_bins = 1;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_OK);
  assert_true(fabs(res->below_range - 30) < 1e-12);
  js_density_result_free(res);
  problem_free(&pb);
}

/* Log bins: geometric edges; the same probes and nodes for any block size
 * (the probes come from one stream in probe order), to rounding. */
static void test_log_bins_and_blocks(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 300, 400, spectrum_jacobian, 11);
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  opt.log_bins = 1;
  opt.bins = 20;
  opt.probes = 6;
  js_density_result *a = NULL, *b = NULL;
  assert_int_equal(js_density(pb.op, &opt, &a), JS_OK);
  double ratio = a->edges[1] / a->edges[0];
  for (int64_t i = 1; i < a->bins; i++)
    assert_true(fabs(a->edges[i + 1] / a->edges[i] - ratio) < 1e-9 * ratio);
  assert_true(a->edges[a->bins] >= a->sigma_max);
  /* The 30 zeros (their nodes, weighted by the probes) lie below. */
  double zeros = 0;
  for (int64_t k = 0; k < a->n_nodes; k++)
    if (a->nodes[k] < 1e-6 * a->sigma_max)
      zeros += a->weights[k] / (double)a->probes;
  assert_true(zeros > 10 && fabs(a->below_range - zeros) < 1e-9);
  assert_true(fabs(total(a) - 300) < 1e-9);
  for (int64_t block = 1; block <= 7; block += 3) {
    opt.block = block;
    assert_int_equal(js_density(pb.op, &opt, &b), JS_OK);
    assert_int_equal(b->n_nodes, a->n_nodes);
    for (int64_t k = 0; k < a->n_nodes; k++) {
      assert_true(fabs(b->nodes[k] - a->nodes[k]) < 1e-8 * a->sigma_max);
      assert_true(fabs(b->weights[k] - a->weights[k]) < 1e-6);
    }
    js_density_result_free(b);
  }
  js_density_result_free(a);
  problem_free(&pb);
}

static void count_calls(void *ctx, const js_progress *p) {
  int64_t *last = ctx;
  assert_string_equal(p->stage, "density");
  assert_true(p->done > *last && p->done <= p->total);
  assert_true(p->restarts == -1 && p->converged == -1);
  *last = p->done;
}

static void test_options_and_progress(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 50, 60, spectrum_bulk, 13);
  js_density_options opt;
  js_density_options_init_defaults(&opt);
  js_density_result *res = (js_density_result *)1;
  opt.probes = 0;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_EINVAL);
  assert_null(res);
  assert_non_null(strstr(js_last_error(), "probes (0)"));
  js_density_options_init_defaults(&opt);
  opt.range_lo = 2;
  opt.range_hi = 1;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_EINVAL);
  opt.range_lo = 0;
  opt.log_bins = 1;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "log bins"));
  js_density_options_init_defaults(&opt);
  opt.cutoff = NAN;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_EINVAL);
  assert_int_equal(js_density(pb.op, &opt, NULL), JS_EINVAL);
  assert_int_equal(js_linop_apply_count(pb.op), 0);
  /* Steps beyond N are capped; progress counts Gram products. */
  js_density_options_init_defaults(&opt);
  opt.steps = 500;
  int64_t last = 0;
  opt.progress = count_calls;
  opt.progress_ctx = &last;
  assert_int_equal(js_density(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->steps, 50);
  assert_int_equal(last, res->n_apply);
  assert_true(isnan(res->count_above));
  js_density_result_free(res);
  problem_free(&pb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_jacobian_like),
      cmocka_unit_test(test_bulk_params_side),
      cmocka_unit_test(test_breakdown),
      cmocka_unit_test(test_zero_operator),
      cmocka_unit_test(test_log_bins_and_blocks),
      cmocka_unit_test(test_options_and_progress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

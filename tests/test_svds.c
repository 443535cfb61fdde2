/* The solver against LAPACK: matrices A = U diag(s) V^T with a chosen
 * spectrum (U, V from QR of Gaussian matrices), wrapped as operators by
 * dense_op, and every js_svds / js_svds_dense result compared with
 * dgesvd_ of the explicit matrix.
 *
 * Letters: rows x cols is the matrix (nK x p), mn = min(rows, cols),
 * r the number of triplets asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rng.h"
#include "dense_op.h"
#include "orthonormal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK, Fortran convention (hidden character lengths last). */
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n,
             double *a, const int *lda, double *s, double *u, const int *ldu,
             double *vt, const int *ldvt, double *work, const int *lwork,
             int *info, size_t jobu_len, size_t jobvt_len);

/* ------------------------------------------------------------ test matrices */

typedef double (*spectrum_fn)(int64_t i);

/* Evenly spaced, 10 down to 0.48 over 120 values: clear gaps everywhere. */
static double spectrum_gapped(int64_t i) { return 10.0 - 0.08 * (double)i; }
/* Geometric decay: lambda_50 / lambda_1 ~ 6e-3. */
static double spectrum_decaying(int64_t i) { return 10.0 * pow(0.9, (double)i); }
/* Nearly low rank: 8 values 8..1, then a tail below 1e-3. */
static double spectrum_low_rank(int64_t i) {
  return i < 8 ? 8.0 - (double)i : 1e-3 * pow(0.9, (double)(i - 8));
}

/* Rank 5 (values 5..1, then exact zeros). */
static double spectrum_rank5(int64_t i) { return i < 5 ? 5.0 - (double)i : 0.0; }
/* Repeated values: 6, then 4 three times, then a gapped tail below 2. */
static double spectrum_repeated(int64_t i) {
  return i == 0 ? 6.0 : i < 4 ? 4.0 : 2.0 - 0.01 * (double)i;
}
/* Graded: 1 down to 1e-10 geometrically over 120 values. */
static double spectrum_graded(int64_t i) { return pow(1e-10, (double)i / 119.0); }
/* Clustered small values: 10 values within 1 % of 1e-3 below a bulk. */
static double spectrum_clustered(int64_t i) {
  return i < 110 ? 1.0 - 0.008 * (double)i : 1e-3 * (1 + 0.001 * (double)(i - 110));
}
static double spectrum_zero(int64_t i) { return 0.0 * (double)i; }

static double *alloc_doubles(int64_t n) {
  double *p = calloc((size_t)n, sizeof(double));
  assert_non_null(p);
  return p;
}

typedef struct problem {
  int64_t rows, cols, mn;
  double *a;         /* rows x cols, column-major */
  double *s, *u, *v; /* dgesvd_ of a: mn values, u rows x mn, v cols x mn */
  dense_op dense;
  js_linop *op;
} problem;

static void reference_svd(problem *pb) {
  int m = (int)pb->rows, n = (int)pb->cols, mn = (int)pb->mn, info;
  double *copy = alloc_doubles(pb->rows * pb->cols);
  memcpy(copy, pb->a, sizeof(double) * (size_t)(pb->rows * pb->cols));
  double *vt = alloc_doubles(pb->mn * pb->cols);
  pb->s = alloc_doubles(pb->mn);
  pb->u = alloc_doubles(pb->rows * pb->mn);
  pb->v = alloc_doubles(pb->cols * pb->mn);
  int lwork = 10 * (m + n) * 8;
  double *work = alloc_doubles(lwork);
  dgesvd_("S", "S", &m, &n, copy, &m, pb->s, pb->u, &m, vt, &mn, work, &lwork, &info,
          1, 1);
  assert_int_equal(info, 0);
  for (int64_t k = 0; k < pb->mn; k++)
    for (int64_t j = 0; j < pb->cols; j++)
      pb->v[k * pb->cols + j] = vt[k + j * pb->mn];
  free(copy);
  free(vt);
  free(work);
}

/* a = U diag(spectrum) V^T, then its LAPACK SVD and the operator. */
static void problem_init(problem *pb, int64_t rows, int64_t cols, spectrum_fn spectrum,
                         uint64_t seed) {
  pb->rows = rows;
  pb->cols = cols;
  pb->mn = rows < cols ? rows : cols;
  js_rng rng;
  js_rng_seed(&rng, seed);
  pb->a = with_spectrum(rows, cols, spectrum, &rng);
  assert_non_null(pb->a);
  reference_svd(pb);
  pb->dense = (dense_op){.rows = rows, .cols = cols, .a = pb->a};
  assert_int_equal(dense_op_create(&pb->dense, &pb->op), JS_OK);
}

static void problem_free(problem *pb) {
  js_linop_free(pb->op);
  free(pb->a);
  free(pb->s);
  free(pb->u);
  free(pb->v);
}

/* ------------------------------------------------------------ checks */

static double dot(int64_t n, const double *x, const double *y) {
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    sum += x[i] * y[i];
  return sum;
}

/* ||A x - sigma y|| / sigma_1 (transpose: ||A^T x - sigma y||), recomputed
 * with plain loops. */
static double residual(const problem *pb, int transpose, const double *x, double sigma,
                       const double *y, double sigma_1) {
  int64_t m = transpose ? pb->cols : pb->rows, n = transpose ? pb->rows : pb->cols;
  double sum = 0;
  for (int64_t i = 0; i < m; i++) {
    double ax = 0;
    for (int64_t j = 0; j < n; j++)
      ax += (transpose ? pb->a[j + i * pb->rows] : pb->a[i + j * pb->rows]) * x[j];
    sum += (ax - sigma * y[i]) * (ax - sigma * y[i]);
  }
  return sqrt(sum) / sigma_1;
}

/* ARPACK accepts a Ritz pair at the default tol when rho = ||G x - theta
 * x|| <= tau theta, tau = sqrt(2e-12) = 1.4e-6 (js_svds_arpack_tol), so the
 * residuals rho / (sigma sigma_1) stay below tau: with room for rounding. */
#define RESIDUAL_BOUND 2e-6

/* The r triplets of res against the reference: values to `rel` relative,
 * vectors up to sign, residuals small and as recomputed. */
static void check_triplets(const problem *pb, const js_svds_result *res, int64_t r,
                           double rel) {
  assert_int_equal(res->rank, r);
  assert_int_equal(res->rows, pb->rows);
  assert_int_equal(res->cols, pb->cols);
  assert_non_null(res->u);
  assert_non_null(res->v);
  for (int64_t s = 0; s < r; s++) {
    const double *u = res->u + s * pb->rows, *v = res->v + s * pb->cols;
    if (fabs(res->sigma[s] - pb->s[s]) > rel * pb->s[s])
      fail_msg("sigma_%lld = %.17g, LAPACK %.17g (r = %lld, %lld x %lld)",
               (long long)s + 1, res->sigma[s], pb->s[s], (long long)r,
               (long long)pb->rows, (long long)pb->cols);
    /* Every test spectrum is simple with relative gaps >= 0.8%: vectors are
     * determined up to sign. */
    assert_true(fabs(dot(pb->rows, u, pb->u + s * pb->rows)) > 1 - 1e-8);
    assert_true(fabs(dot(pb->cols, v, pb->v + s * pb->cols)) > 1 - 1e-8);
    double ru = residual(pb, 0, v, res->sigma[s], u, res->sigma[0]);
    double rv = residual(pb, 1, u, res->sigma[s], v, res->sigma[0]);
    assert_true(res->residual_u[s] < RESIDUAL_BOUND && res->residual_v[s] < RESIDUAL_BOUND);
    assert_true(fabs(res->residual_u[s] - ru) < 1e-13);
    assert_true(fabs(res->residual_v[s] - rv) < 1e-13);
  }
}

/* Products counted by the operator itself, and their split for Lanczos:
 * g Gram products (one J, one J^T each), r for the other side (J^T U on
 * the outputs side), r for the residual on the side the solver works on
 * (J V there): as many J as J^T products, g + r of each. */
static void check_lanczos_counts(const problem *pb, const js_svds_result *res,
                                 int64_t g, int64_t r) {
  assert_int_equal(res->n_apply, pb->dense.n_apply);
  assert_int_equal(res->n_apply_t, pb->dense.n_apply_t);
  assert_int_equal(res->n_apply, g + r);
  assert_int_equal(res->n_apply_t, g + r);
  assert_true(res->iterations >= 0);
}

/* The Gram products so far (progress reports each). */
static void count_gram_products(void *ctx, const js_progress *p) {
  *(int64_t *)ctx = p->done;
}

static js_svds_options options(int64_t r, js_side side) {
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = r;
  opt.side = side;
  return opt;
}

/* ------------------------------------------------------------ tests */

static void test_defaults(void **state) {
  (void)state;
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  assert_int_equal(opt.top, 10);
  assert_true(opt.cutoff == 0);
  assert_int_equal(opt.side, JS_SIDE_AUTO);
  assert_int_equal(opt.method, JS_SVDS_AUTO);
  assert_true(opt.tol == 1e-10);
  assert_int_equal(opt.ncv, 0);
  assert_int_equal(opt.max_iter, 1000);
  assert_int_equal(opt.seed, 1);
  assert_int_equal(opt.want_vectors, 1);
  assert_int_equal(opt.dense_limit, (size_t)1 << 30);
  assert_null(opt.progress);
}

/* Default tolerance, every side, both orientations, r = 1, 5, 20, 50. */
static void lanczos_against_lapack(spectrum_fn spectrum, uint64_t seed) {
  static const int64_t shapes[2][2] = {{120, 300}, {300, 120}};
  static const js_side sides[3] = {JS_SIDE_AUTO, JS_SIDE_OUTPUTS, JS_SIDE_PARAMS};
  static const int64_t ranks[4] = {1, 5, 20, 50};
  for (int sh = 0; sh < 2; sh++) {
    problem pb;
    problem_init(&pb, shapes[sh][0], shapes[sh][1], spectrum, seed + (uint64_t)sh);
    for (int si = 0; si < 3; si++)
      for (int ri = 0; ri < 4; ri++) {
        js_svds_options opt = options(ranks[ri], sides[si]);
        int64_t gram = 0;
        opt.progress = count_gram_products;
        opt.progress_ctx = &gram;
        js_svds_result *res = NULL;
        pb.dense.n_apply = pb.dense.n_apply_t = 0;
        assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
        js_side expected = sides[si] != JS_SIDE_AUTO ? sides[si]
                           : pb.rows <= pb.cols       ? JS_SIDE_OUTPUTS
                                                      : JS_SIDE_PARAMS;
        assert_int_equal(res->side, expected);
        assert_int_equal(res->requested, ranks[ri]);
        assert_true(res->converged);
        check_triplets(&pb, res, ranks[ri], 1e-10);
        check_lanczos_counts(&pb, res, gram, ranks[ri]);
        js_svds_result_free(res);
      }
    problem_free(&pb);
  }
}

static void test_lanczos_gapped(void **state) {
  (void)state;
  lanczos_against_lapack(spectrum_gapped, 11);
}

static void test_lanczos_decaying(void **state) {
  (void)state;
  lanczos_against_lapack(spectrum_decaying, 21);
}

/* Nearly low rank: the 8 large triplets are found to full accuracy. (The
 * tail is not asked for: on the Gram matrix lambda_s^2 carries an error of
 * about eps lambda_1^2, so lambda_s ~ 1e-4 lambda_1 cannot be resolved to
 * 1e-10 relative by any Gram-based method.) */
static void test_lanczos_low_rank(void **state) {
  (void)state;
  static const int64_t ranks[3] = {1, 5, 8};
  problem pb;
  problem_init(&pb, 120, 300, spectrum_low_rank, 31);
  for (int side = JS_SIDE_OUTPUTS; side <= JS_SIDE_PARAMS; side++)
    for (int ri = 0; ri < 3; ri++) {
      js_svds_options opt = options(ranks[ri], (js_side)side);
      js_svds_result *res = NULL;
      assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
      check_triplets(&pb, res, ranks[ri], 1e-10);
      js_svds_result_free(res);
    }
  problem_free(&pb);
}

/* --tol is the relative accuracy of each singular value: every tolerance
 * from loose to machine precision (0) meets it against LAPACK, on both
 * sides, and a looser one never takes more products. (The decaying
 * spectrum's Gram eigenvalues are 19 % apart: Kato-Temple's regime.) */
static void test_tolerance(void **state) {
  (void)state;
  static const double tols[] = {0, 1e-12, 1e-10, 1e-7, 1e-4};
  problem pb;
  problem_init(&pb, 300, 120, spectrum_decaying, 25);
  for (int side = JS_SIDE_OUTPUTS; side <= JS_SIDE_PARAMS; side++) {
    int64_t before = INT64_MAX;
    for (int k = 0; k < 5; k++) {
      js_svds_options opt = options(20, (js_side)side);
      opt.tol = tols[k];
      js_svds_result *res = NULL;
      assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
      for (int64_t s = 0; s < 20; s++) {
        double rel = fabs(res->sigma[s] - pb.s[s]) / pb.s[s];
        if (!(rel <= fmax(tols[k], 1e-13)))
          fail_msg("tol %g, side %d: sigma_%lld off by %.3g relative", tols[k], side,
                   (long long)s + 1, rel);
      }
      int64_t products = res->n_apply + res->n_apply_t;
      assert_true(products <= before);
      before = products;
      js_svds_result_free(res);
    }
  }
  problem_free(&pb);
}

static void test_dense(void **state) {
  (void)state;
  static const int64_t ranks[4] = {1, 5, 20, 50};
  for (int sh = 0; sh < 2; sh++) {
    problem pb;
    problem_init(&pb, sh ? 300 : 120, sh ? 120 : 300, spectrum_decaying, 41);
    for (int ri = 0; ri < 4; ri++) {
      js_svds_options opt = options(ranks[ri], JS_SIDE_AUTO);
      js_svds_result *res = NULL;
      pb.dense.n_apply = pb.dense.n_apply_t = 0;
      assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_OK);
      check_triplets(&pb, res, ranks[ri], 1e-12);
      assert_true(res->converged);
      assert_int_equal(res->iterations, 0);
      /* J from its smaller side (rows J^T e_i when rows < cols, else
       * columns J e_j), then the residual products. */
      assert_int_equal(res->n_apply, pb.dense.n_apply);
      assert_int_equal(res->n_apply_t, pb.dense.n_apply_t);
      int by_rows = pb.rows < pb.cols;
      assert_int_equal(res->n_apply, (by_rows ? 0 : pb.cols) + ranks[ri]);
      assert_int_equal(res->n_apply_t, (by_rows ? pb.rows : 0) + ranks[ri]);
      js_svds_result_free(res);
    }
    problem_free(&pb);
  }
}

/* alpha = 7 lies between lambda_38 = 7.04 and lambda_39 = 6.96: cut-off
 * mode grows r 10 -> 20 -> 40 and returns exactly the 38 values above. */
static void test_cutoff(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 120, 300, spectrum_gapped, 51);
  int64_t above = 0;
  while (pb.s[above] > 7.0)
    above++;
  assert_int_equal(above, 38);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 0;
  opt.cutoff = 7.0;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->requested, 40);
  check_triplets(&pb, res, above, 1e-10);
  js_svds_result_free(res);

  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_OK);
  check_triplets(&pb, res, above, 1e-12);
  js_svds_result_free(res);

  /* Growth stops at min(rows, cols) - 1 triplets. */
  opt.cutoff = 0.1;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->requested, pb.mn - 1);
  assert_int_equal(res->rank, pb.mn - 1);
  js_svds_result_free(res);

  opt.cutoff = 11.0;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_EINVAL);
  assert_null(res);
  assert_non_null(strstr(js_last_error(), "largest singular value lambda_1 = 10"));
  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_EINVAL);
  assert_null(res);
  problem_free(&pb);
}

static void test_dense_limit(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 120, 300, spectrum_gapped, 61);
  js_svds_options opt = options(5, JS_SIDE_AUTO);
  opt.dense_limit = 120 * 300 * 8 - 1;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_ELIMIT);
  assert_null(res);
  assert_non_null(strstr(js_last_error(), "GiB"));
  assert_non_null(strstr(js_last_error(), "Lanczos"));
  assert_int_equal(pb.dense.n_apply + pb.dense.n_apply_t, 0);
  opt.dense_limit += 1;
  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_OK);
  js_svds_result_free(res);
  problem_free(&pb);
}

static void expect_invalid(problem *pb, const js_svds_options *opt, const char *words) {
  js_svds_result *res = (js_svds_result *)1;
  assert_int_equal(js_svds(pb->op, opt, &res), JS_EINVAL);
  assert_null(res);
  if (!strstr(js_last_error(), words))
    fail_msg("message '%s' lacks '%s'", js_last_error(), words);
  if (opt->ncv == 0) { /* ncv means nothing to the dense path */
    res = (js_svds_result *)1;
    assert_int_equal(js_svds_dense(pb->op, opt, &res), JS_EINVAL);
    assert_null(res);
  }
  /* Rejected before any product. */
  assert_int_equal(pb->dense.n_apply + pb->dense.n_apply_t, 0);
}

static void test_invalid(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 120, 300, spectrum_gapped, 71);
  js_svds_options opt = options(0, JS_SIDE_AUTO);
  expect_invalid(&pb, &opt, "below min(nK, p) = 120");
  opt.top = 500;
  expect_invalid(&pb, &opt, "below min(nK, p) = 120");
  /* All 120 only from the dense SVD; Lanczos needs r < n. */
  opt.top = 120;
  js_svds_result *all = (js_svds_result *)1;
  assert_int_equal(js_svds(pb.op, &opt, &all), JS_EINVAL);
  assert_null(all);
  assert_non_null(strstr(js_last_error(), "below min(nK, p) = 120"));
  assert_int_equal(js_svds_dense(pb.op, &opt, &all), JS_OK);
  assert_int_equal(all->rank, 120);
  assert_true(fabs(all->sigma[119] - pb.s[119]) < 1e-12 * pb.s[0]);
  js_svds_result_free(all);
  pb.dense.n_apply = pb.dense.n_apply_t = 0;
  opt = options(5, JS_SIDE_AUTO);
  opt.tol = -1;
  expect_invalid(&pb, &opt, "tolerance");
  opt.tol = NAN;
  expect_invalid(&pb, &opt, "tolerance");
  opt = options(5, JS_SIDE_AUTO);
  opt.max_iter = 0;
  expect_invalid(&pb, &opt, "max_iter");
  opt = options(5, JS_SIDE_AUTO);
  opt.ncv = 5;
  expect_invalid(&pb, &opt, "ncv = 5 must be in (r, n] = (5, 120]");
  opt.ncv = 121;
  expect_invalid(&pb, &opt, "ncv = 121");
  opt.side = JS_SIDE_PARAMS; /* n = 300 on this side: 121 is fine */
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  js_svds_result_free(res);
  problem_free(&pb);
  /* The operator itself: sizes, callback and output pointer. */
  js_linop *op = NULL;
  assert_int_equal(js_linop_create(0, 3, NULL, NULL, &op), JS_EINVAL);
  assert_null(op);
  assert_int_equal(js_linop_create(2, 3, NULL, NULL, &op), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "callback"));
  assert_int_equal(js_linop_create(2, 3, NULL, NULL, NULL), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "output pointer"));
}

/* One restart with a small basis cannot resolve 20 values of a slowly
 * decaying spectrum: a partial result and a message saying so. */
static void test_no_convergence(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 300, 120, spectrum_decaying, 81);
  js_svds_options opt = options(20, JS_SIDE_PARAMS);
  opt.max_iter = 1;
  opt.ncv = 22;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_ENOCONV);
  assert_non_null(res);
  assert_false(res->converged);
  assert_int_equal(res->requested, 20);
  assert_true(res->rank < 20);
  assert_int_equal(res->iterations, 1);
  char expected[128];
  snprintf(expected, sizeof expected,
           "only %lld of 20 singular triplets converged after 1 restarts",
           (long long)res->rank);
  if (!strstr(js_last_error(), expected))
    fail_msg("message '%s' lacks '%s'", js_last_error(), expected);
  /* What is returned did converge: each value is one of LAPACK's. */
  for (int64_t s = 0; s < res->rank; s++) {
    double best = INFINITY;
    for (int64_t k = 0; k < pb.mn; k++)
      best = fmin(best, fabs(res->sigma[s] - pb.s[k]) / pb.s[k]);
    assert_true(best < 1e-9);
    assert_true(res->residual_u[s] < RESIDUAL_BOUND && res->residual_v[s] < RESIDUAL_BOUND);
  }
  js_svds_result_free(res);
  problem_free(&pb);
}

static void test_reproducible(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 300, 120, spectrum_gapped, 91);
  js_svds_options opt = options(20, JS_SIDE_AUTO);
  js_svds_result *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &a), JS_OK);
  assert_int_equal(js_svds(pb.op, &opt, &b), JS_OK);
  assert_memory_equal(a->sigma, b->sigma, sizeof(double) * 20);
  assert_memory_equal(a->u, b->u, sizeof(double) * 20 * 300);
  assert_memory_equal(a->v, b->v, sizeof(double) * 20 * 120);
  assert_int_equal(a->n_apply, b->n_apply);
  /* Without vectors: the same values, no u and v. */
  opt.want_vectors = 0;
  assert_int_equal(js_svds(pb.op, &opt, &c), JS_OK);
  assert_null(c->u);
  assert_null(c->v);
  assert_memory_equal(a->sigma, c->sigma, sizeof(double) * 20);
  assert_memory_equal(a->residual_u, c->residual_u, sizeof(double) * 20);
  js_svds_result_free(b);
  js_svds_result_free(c);
  /* Another seed: another start, the same triplets. */
  opt.want_vectors = 1;
  opt.seed = 12345;
  assert_int_equal(js_svds(pb.op, &opt, &b), JS_OK);
  check_triplets(&pb, b, 20, 1e-10);
  js_svds_result_free(a);
  js_svds_result_free(b);
  problem_free(&pb);
}

typedef struct progress_log {
  int64_t calls, last_done, restarts;
} progress_log;

static void record_progress(void *ctx, const js_progress *p) {
  progress_log *log = ctx;
  assert_string_equal(p->stage, "lanczos");
  assert_true(p->done > log->last_done);
  assert_int_equal(p->total, 0);
  assert_int_equal(p->wanted, 5);
  assert_int_equal(p->converged, -1);
  assert_true(p->restarts >= log->restarts);
  log->calls++;
  log->last_done = p->done;
  log->restarts = p->restarts;
}

/* Progress reports each Gram product: the last count is the number of
 * J J^T products, that is all J products but the r residual ones. */
static void test_progress(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 120, 300, spectrum_gapped, 101);
  progress_log log = {0, 0, 0};
  js_svds_options opt = options(5, JS_SIDE_OUTPUTS);
  opt.progress = record_progress;
  opt.progress_ctx = &log;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_true(log.calls > 0);
  assert_int_equal(log.calls, log.last_done);
  assert_int_equal(log.last_done, res->n_apply - 5);
  /* The restarts seen from the Lanczos steps ARPACK asked for are its own. */
  assert_int_equal(log.restarts, res->iterations);
  js_svds_result_free(res);
  problem_free(&pb);
}

/* The top r beyond the rank: the rho nonzero triplets, the rank and the
 * gap, on both sides and from the dense path; repeated values all found. */
static void test_rank_and_repeated(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, 120, 300, spectrum_rank5, 111);
  for (int side = JS_SIDE_OUTPUTS; side <= JS_SIDE_PARAMS; side++) {
    js_svds_options opt = options(8, (js_side)side);
    js_svds_result *res = NULL;
    assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
    assert_int_equal(res->numerical_rank, 5);
    assert_true(res->rank_gap > 1e6);
    check_triplets(&pb, res, 5, 1e-10);
    js_svds_result_free(res);
  }
  js_svds_options opt = options(120, JS_SIDE_AUTO);
  js_svds_result *res = NULL;
  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->numerical_rank, 5);
  check_triplets(&pb, res, 5, 1e-12);
  js_svds_result_free(res);
  problem_free(&pb);
  /* Repeated: 4.0 three times, each one found (vectors are not unique). */
  problem_init(&pb, 120, 300, spectrum_repeated, 113);
  opt = options(6, JS_SIDE_AUTO);
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->rank, 6);
  assert_int_equal(res->numerical_rank, -1);
  for (int64_t k = 0; k < 6; k++)
    assert_true(fabs(res->sigma[k] - pb.s[k]) < 1e-10 * pb.s[0]);
  js_svds_result_free(res);
  problem_free(&pb);
  /* J = 0: no triplet, rank 0, cleanly. */
  problem_init(&pb, 40, 30, spectrum_zero, 115);
  opt = options(3, JS_SIDE_AUTO);
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->rank, 0);
  assert_int_equal(res->numerical_rank, 0);
  js_svds_result_free(res);
  problem_free(&pb);
}

/* The r smallest on the Gram side against LAPACK, to 1e-8 sigma_1; the graded spectrum's
 * small values measured (printed): on the Gram side sigma_s carries an
 * error of about eps sigma_1^2 / sigma_s, so values near 1e-8 sigma_1 and
 * below are not resolved. */
static void smallest_against_lapack(spectrum_fn spectrum, uint64_t seed, const char *name,
                                    int64_t r, int check_all) {
  for (int side = JS_SIDE_OUTPUTS; side <= JS_SIDE_PARAMS; side++) {
    problem pb;
    int outputs = side == JS_SIDE_OUTPUTS; /* the smaller side, by the shape */
    problem_init(&pb, outputs ? 120 : 300, outputs ? 300 : 120, spectrum, seed);
    js_svds_options opt = options(r, JS_SIDE_AUTO);
    opt.smallest = 1;
    opt.method = JS_SVDS_GRAM; /* GKL is tests/test_gkl.c's */
    js_svds_result *res = NULL;
    assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
    assert_int_equal(res->rank, r);
    assert_true(fabs(res->scale - pb.s[0]) < 1e-12 * pb.s[0]);
    double worst_rel = 0, worst_abs = 0;
    for (int64_t k = 0; k < r; k++) {
      double exact = pb.s[pb.mn - 1 - k], err = fabs(res->sigma[k] - exact);
      if (exact > 1e-8 * pb.s[0])
        worst_rel = fmax(worst_rel, err / exact);
      worst_abs = fmax(worst_abs, err / pb.s[0]);
      if (check_all && err > 1e-8 * pb.s[0])
        fail_msg("%s: sigma_min+%lld = %.17g, LAPACK %.17g", name, (long long)k,
                 res->sigma[k], exact);
    }
    printf("# %s, %s side: smallest %lld, worst error %.2e relative above 1e-8 sigma_1, "
           "%.2e sigma_1 absolute\n",
           name, outputs ? "outputs" : "params", (long long)r, worst_rel, worst_abs);
    js_svds_result_free(res);
    opt.side = outputs ? JS_SIDE_PARAMS : JS_SIDE_OUTPUTS;
    assert_int_equal(js_svds(pb.op, &opt, &res), JS_EINVAL);
    assert_non_null(strstr(js_last_error(), "smaller Gram side"));
    assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_OK);
    for (int64_t k = 0; k < r; k++)
      assert_true(fabs(res->sigma[k] - pb.s[pb.mn - 1 - k]) < 1e-12 * pb.s[0]);
    js_svds_result_free(res);
    problem_free(&pb);
  }
}

static void test_smallest(void **state) {
  (void)state;
  smallest_against_lapack(spectrum_decaying, 121, "decaying", 10, 1);
  smallest_against_lapack(spectrum_clustered, 123, "clustered", 10, 1);
  /* Graded down to 1e-10 sigma_1: 40 smallest, 1e-10 .. 5e-7. */
  smallest_against_lapack(spectrum_graded, 125, "graded", 40, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),       cmocka_unit_test(test_lanczos_gapped),
      cmocka_unit_test(test_lanczos_decaying), cmocka_unit_test(test_lanczos_low_rank),
      cmocka_unit_test(test_dense),          cmocka_unit_test(test_cutoff),
      cmocka_unit_test(test_dense_limit),    cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_no_convergence), cmocka_unit_test(test_reproducible),
      cmocka_unit_test(test_progress),       cmocka_unit_test(test_tolerance),
      cmocka_unit_test(test_rank_and_repeated), cmocka_unit_test(test_smallest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

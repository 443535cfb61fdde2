/* The refinement of a fast operator's triplets (js_svds_options.fast,
 * solve/refine.c) on matrices of known spectrum: A = U diag(s) V^T (U, V
 * from QR of Gaussian matrices, tests/orthonormal.h) and a fast operator
 * A + E that is wrong by ||E|| = eps_fast sigma_1, far more than float
 * products are, so that the Lanczos subspace needs the refinement's
 * subspace iteration (and may not reach the tolerance): every singular
 * value against s to the tolerance when the solve says so, every error
 * bound at least the true error either way.
 *
 * Letters: rows x cols is A, r the triplets asked for, m = r + GUARDS the
 * vectors refined. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rng.h"
#include "dense_op.h"
#include "orthonormal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 150
#define COLS 200
#define GUARDS 3 /* svds.c */

/* 13 values 10 down to 4, then a tail from 0.5 down: the top 10 and their
 * guards sit far above the rest, so subspace iteration gains a factor
 * (0.5 / 5)^2 a step. */
static double spectrum_split(int64_t i) {
  return i < 13 ? 10.0 - 0.5 * (double)i : 0.5 * pow(0.9, (double)(i - 13));
}
/* Geometric decay by 0.9: the block's edge is close, a step gains 0.9^8. */
static double spectrum_decaying(int64_t i) { return 10.0 * pow(0.9, (double)i); }
/* E's: every singular value eps_fast (set before drawing). */
static double eps_fast;
static double spectrum_flat(int64_t i) { return eps_fast + 0.0 * (double)i; }

typedef struct problem {
  double (*spectrum)(int64_t i);
  double *a, *fast_a;       /* A and A + E, column-major */
  dense_op exact, fast;
  js_linop *op, *fast_op;
} problem;

static void problem_init(problem *pb, double (*spectrum)(int64_t), double eps, uint64_t seed) {
  js_rng rng;
  js_rng_seed(&rng, seed);
  pb->spectrum = spectrum;
  pb->a = with_spectrum(ROWS, COLS, spectrum, &rng);
  eps_fast = eps * spectrum(0);
  double *e = with_spectrum(ROWS, COLS, spectrum_flat, &rng);
  assert_non_null(pb->a);
  assert_non_null(e);
  pb->fast_a = e;
  for (int64_t i = 0; i < ROWS * COLS; i++)
    pb->fast_a[i] += pb->a[i];
  pb->exact = (dense_op){.rows = ROWS, .cols = COLS, .a = pb->a};
  pb->fast = (dense_op){.rows = ROWS, .cols = COLS, .a = pb->fast_a};
  assert_int_equal(dense_op_create(&pb->exact, &pb->op), JS_OK);
  assert_int_equal(dense_op_create(&pb->fast, &pb->fast_op), JS_OK);
}

static void problem_free(problem *pb) {
  js_linop_free(pb->op);
  js_linop_free(pb->fast_op);
  free(pb->a);
  free(pb->fast_a);
}

/* Each sigma_s of res within its error bound of s_s (the construction of
 * A is exact to a few eps sigma_1: allowed); returns the largest relative
 * error. */
static double check_bounds(const problem *pb, const js_svds_result *res) {
  double worst = 0, sigma_1 = pb->spectrum(0);
  for (int64_t s = 0; s < res->rank; s++) {
    double exact = pb->spectrum(s), error = fabs(res->sigma[s] - exact);
    if (!(error <= res->error_bound[s] * res->sigma[s] + 8 * DBL_EPSILON * sigma_1))
      fail_msg("sigma_%lld = %.17g is %.3g off %.17g, beyond its bound %.3g", (long long)s + 1,
               res->sigma[s], error / exact, exact, res->error_bound[s]);
    worst = fmax(worst, error / exact);
  }
  return worst;
}

/* A fast operator 1e-4 off: the first Rayleigh-Ritz step is short of the
 * tolerance by far (its error ~ (1e-4 sigma_1^2 / gap)^2), subspace
 * iteration brings every value to it, on both Gram sides; the bounds hold
 * at every tolerance, the products are the refinement's blocks. */
static void test_steps_reach_tol(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, spectrum_split, 1e-4, 5);
  static const js_side sides[] = {JS_SIDE_OUTPUTS, JS_SIDE_PARAMS};
  static const double tols[] = {1e-6, 1e-10, 1e-13};
  for (int si = 0; si < 2; si++)
    for (int ti = 0; ti < 3; ti++) {
      js_svds_options opt;
      js_svds_options_init_defaults(&opt);
      opt.top = 10;
      opt.side = sides[si];
      opt.tol = tols[ti];
      opt.fast = pb.fast_op;
      js_svds_result *res = NULL;
      assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
      assert_true(res->refined && res->converged);
      assert_int_equal(res->rank, 10);
      assert_int_equal(res->side, sides[si]);
      assert_true(res->max_error_bound <= tols[ti]);
      double worst = check_bounds(&pb, res);
      assert_true(worst <= tols[ti]);
      /* 1e-6 is what the first step reaches; the others need more. */
      if (tols[ti] < 1e-9)
        assert_true(res->refine_steps >= 1);
      assert_int_equal(res->n_apply, (res->refine_steps + 1) * (10 + GUARDS));
      assert_int_equal(res->n_apply_t, res->n_apply);
      assert_true(res->n_fast_apply > 10);
      js_svds_result_free(res);
    }
  problem_free(&pb);
}

/* A fast operator 3e-3 off on a slowly decaying spectrum: subspace
 * iteration gains 0.9^8 a step, so tol 1e-14 is out of reach. The solve
 * says so (JS_ENOCONV, the bound it reached in the message), stops early
 * (it cannot get there within the cap), and keeps the triplets, whose
 * bounds still hold. */
static void test_unreachable_tol(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, spectrum_decaying, 3e-3, 6);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 10;
  opt.tol = 1e-14;
  opt.fast = pb.fast_op;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_ENOCONV);
  assert_non_null(res);
  assert_true(res->refined);
  assert_false(res->converged);
  assert_int_equal(res->rank, 10);
  assert_true(res->max_error_bound > opt.tol);
  assert_non_null(strstr(js_last_error(), "refinement reached"));
  assert_true(res->refine_steps < 3); /* the cap, JS_REFINE_MAX_STEPS */
  double worst = check_bounds(&pb, res);
  assert_true(worst > opt.tol); /* the values are short of it too */
  js_svds_result_free(res);
  problem_free(&pb);
}

/* Cut-off mode: every value above alpha, refined, none missing. */
static void test_cutoff(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, spectrum_split, 1e-5, 7);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 4;
  opt.cutoff = 4.75; /* 10, 9.5, .., 5: 11 values */
  opt.fast = pb.fast_op;
  js_svds_result *res = NULL;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_OK);
  assert_int_equal(res->rank, 11);
  assert_true(res->refined && res->max_error_bound <= opt.tol);
  assert_true(check_bounds(&pb, res) <= opt.tol);
  js_svds_result_free(res);
  problem_free(&pb);
}

/* What a fast operator cannot serve is refused before any product. */
static void test_invalid(void **state) {
  (void)state;
  problem pb;
  problem_init(&pb, spectrum_split, 1e-5, 8);
  double *other = calloc(ROWS * (COLS - 1), sizeof(double));
  assert_non_null(other);
  dense_op d = {.rows = ROWS, .cols = COLS - 1, .a = other};
  js_linop *wrong = NULL;
  assert_int_equal(dense_op_create(&d, &wrong), JS_OK);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.fast = pb.fast_op;
  js_svds_result *res = NULL;
  const js_svds_method methods[] = {JS_SVDS_GKL, JS_SVDS_DENSE};
  for (int k = 0; k < 2; k++) {
    opt.method = methods[k];
    assert_int_equal(js_svds(pb.op, &opt, &res), JS_EINVAL);
    assert_null(res);
    assert_non_null(strstr(js_last_error(), "fast operator"));
  }
  opt.method = JS_SVDS_AUTO;
  opt.smallest = 1;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_EINVAL);
  opt.smallest = 0;
  assert_int_equal(js_svds_dense(pb.op, &opt, &res), JS_EINVAL);
  opt.fast = wrong;
  assert_int_equal(js_svds(pb.op, &opt, &res), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "150 x 199"));
  assert_int_equal(pb.exact.n_apply + pb.exact.n_apply_t + pb.fast.n_apply, 0);
  js_linop_free(wrong);
  free(other);
  problem_free(&pb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_steps_reach_tol),
      cmocka_unit_test(test_unreachable_tol),
      cmocka_unit_test(test_cutoff),
      cmocka_unit_test(test_invalid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

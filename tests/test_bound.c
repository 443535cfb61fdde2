/* The terms of Theorem 3.3 from their formulas, written out here from the
 * paper with the numbers of a small example; the inputs' checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jacspec.h"
#include "scratch.h"

#include <math.h>

static js_bound_inputs example(void) {
  return (js_bound_inputs){.n_samples = 400, .nu = 1.5, .deriv_bound = 1, .cutoff = 2,
                           .gamma = 3, .delta = 0.1, .zeta = 0.25, .lr = 0.01,
                           .res_norm = 30, .res_nuisance = 8, .res_pinv = 0.5};
}

static void test_terms(void **state) {
  (void)state;
  js_bound_inputs in = example();
  js_bound b;
  assert_int_equal(js_bound_theorem33(&in, &b), JS_OK);
  /* sqrt(n) = 20. */
  assert_true(fabs(b.bias - 2.0 * 8 / 20) <= 1e-15);
  assert_true(fabs(b.variance - 12.0 * 1.5 * 1 / 20 * (0.5 + 3.0 / 2 * 8)) <= 1e-13);
  assert_true(fabs(b.confidence - 5.0 * sqrt(log(20.0) / 400)) <= 1e-15);
  assert_true(fabs(b.c_r - 1.5) <= 1e-15);
  assert_true(fabs(b.approximation - 2.0 * 1.5 * (exp(-3.0) + 0.25)) <= 1e-15);
  assert_true(fabs(b.total - (b.bias + b.variance + b.confidence + b.approximation)) <=
              1e-14);
  assert_true(fabs(b.iterations - 3.0 / (0.01 * 4)) <= 1e-12);
  /* B = Inf (quadratic activation): the variance term is Inf, not an error. */
  in.deriv_bound = INFINITY;
  assert_int_equal(js_bound_theorem33(&in, &b), JS_OK);
  assert_true(isinf(b.variance) && isinf(b.total));
}

static void test_bad_inputs(void **state) {
  (void)state;
  js_bound b;
  js_bound_inputs in = example();
  in.gamma = 0.5;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "Gamma", NULL);
  in = example();
  in.zeta = 0.6;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "zeta", NULL);
  in = example();
  in.delta = 0;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "delta", NULL);
  in = example();
  in.cutoff = 0;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "alpha", NULL);
  in = example();
  in.lr = NAN;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "eta", NULL);
  in = example();
  in.nu = INFINITY;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "nu", NULL);
  in = example();
  in.n_samples = 0;
  assert_failure(js_bound_theorem33(&in, &b), JS_EINVAL, "n = 0", NULL);
}


/* The hypotheses of Theorem 3.3 and Theorem 6.21's variance on the example
 * with ||X|| = 4 and ||J^T Pi_N r_0|| = 6:
 *   alpha = nu B alpha_bar n^(1/4) ||X||^(1/2)  =>  alpha_bar = 2 / (1.5 * sqrt(20) * 2);
 *   (6.57) k >= 25600 C_r^2 Gamma^4 / (alpha_bar^8 nu^2 B^2 zeta^2), C_r = 30 / 20;
 *   eta <= 1 / (nu^2 B^2 ||X||^2) = 1 / 36;
 *   Definition 6.1: D^2 = ||J_I^+ r_0||^2 + Gamma^2 / alpha^4 ||J^T Pi_N r_0||^2
 *                       = 0.25 + 9 / 16 * 36 = 20.5;
 *   (6.58) variance 12 nu B D / sqrt(n) = 18 sqrt(20.5) / 20. */
static void test_hypotheses(void **state) {
  (void)state;
  js_bound_inputs in = example();
  in.input_norm = 4;
  in.nuisance_gradient = 6;
  js_bound b;
  assert_int_equal(js_bound_theorem33(&in, &b), JS_OK);
  double alpha_bar = 2.0 / (1.5 * sqrt(20.0) * 2.0);
  assert_true(fabs(b.alpha_bar - alpha_bar) <= 1e-15);
  double width = 25600.0 * 2.25 * 81.0 / (pow(alpha_bar, 8) * 2.25 * 0.0625);
  assert_true(fabs(b.width_required - width) <= 1e-12 * width);
  assert_true(fabs(b.lr_max - 1.0 / 36) <= 1e-16);
  assert_true(fabs(b.distance - sqrt(20.5)) <= 1e-14);
  assert_true(fabs(b.variance_621 - 18.0 * sqrt(20.5) / 20) <= 1e-14);
  assert_true(b.variance_621 <= b.variance); /* Lemma 6.2: the tighter one */
  assert_true(fabs(b.total_621 - (b.bias + b.variance_621 + b.confidence + b.approximation))
              <= 1e-14);
  /* ||X|| unknown: the hypotheses' numbers are NaN, the terms unchanged. */
  in.input_norm = 0;
  js_bound c;
  assert_int_equal(js_bound_theorem33(&in, &c), JS_OK);
  assert_true(isnan(c.alpha_bar) && isnan(c.lr_max) && c.total == b.total);
}

/* Theorem 3.2 (after Theorem 6.23) on n = 400, K = 2, B = 1, alpha_0 = 1,
 * Gamma = 3, delta = 0.1, zeta = 1/4, ||X|| = 4, ||y|| = sqrt(n) = 20,
 * ||Pi_N y|| = 5, ||J_I^+ y|| = 8, eta = eta_max:
 *   (6.85) nu = zeta / (50 B sqrt(log 2K)) = 0.25 / (50 sqrt(log 4));
 *   alpha_0 = alpha_bar B sqrt(K) n^(1/4) ||X||^(1/2) => alpha_bar = 1 / (sqrt 2 sqrt 20 2);
 *   variance 12 B sqrt(K) / sqrt(n) (8 + 3 * 5) = 12 sqrt 2 23 / 20;
 *   zeta term 12 (1 + Gamma / (alpha_bar (n ||X||^2)^(1/4))) zeta, (6400)^(1/4) = 4 sqrt 5;
 *   T = Gamma K / (eta nu^2 alpha_0^2) = Gamma K B^2 ||X||^2 / alpha_0^2 = 96 at eta_max;
 *   (6.86) k >= 12e7 Gamma^4 K^4 B^8 ||X||^4 n^2 log n / (c^4 zeta^4 alpha_0^8),
 *   c = ||Pi_I y|| / ||y|| = sqrt(375) / 20. */
static void test_theorem32(void **state) {
  (void)state;
  js_bound32_inputs in = {.n_samples = 400, .n_outputs = 2, .deriv_bound = 1, .cutoff = 1,
                          .gamma = 3, .delta = 0.1, .zeta = 0.25, .lr = 0, .input_norm = 4,
                          .y_norm = 20, .y_nuisance = 5, .y_pinv = 8};
  js_bound32 b;
  assert_int_equal(js_bound_theorem32(&in, &b), JS_OK);
  double nu = 0.25 / (50 * sqrt(log(4.0))), alpha_bar = 1 / (sqrt(2.0) * sqrt(20.0) * 2);
  assert_true(fabs(b.nu - nu) <= 1e-16);
  assert_true(fabs(b.alpha_bar - alpha_bar) <= 1e-15);
  assert_true(fabs(b.bias - 0.5) <= 1e-15);
  assert_true(fabs(b.variance - 12 * sqrt(2.0) * 23 / 20) <= 1e-13);
  assert_true(fabs(b.zeta_term - 12 * (1 + 3 / (alpha_bar * 4 * sqrt(5.0))) * 0.25) <= 1e-13);
  assert_true(fabs(b.approximation - 2 * exp(-3.0)) <= 1e-15);
  assert_true(fabs(b.lr - b.lr_max) == 0 && fabs(b.lr_max - 1 / (nu * nu * 16)) <= 1e-9 * b.lr);
  assert_true(fabs(b.iterations - 96) <= 1e-10);
  double c = sqrt(375.0) / 20;
  double width = 12e7 * 81 * 16 * 256 * 160000 * log(400.0) / (pow(c, 4) * pow(0.25, 4));
  assert_true(fabs(b.width_required - width) <= 1e-12 * width);
  in.input_norm = 0;
  assert_failure(js_bound_theorem32(&in, &b), JS_EINVAL, "||X||", NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_terms),
      cmocka_unit_test(test_hypotheses),
      cmocka_unit_test(test_theorem32),
      cmocka_unit_test(test_bad_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_terms),
      cmocka_unit_test(test_bad_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The learning-rate schedule of js_train_options against the closed form of
 * gradient descent on f(theta) = theta, y = 0 (n = p = 2, J = I): each
 * update multiplies theta by (1 - eta_t), with eta_t the base rate times
 * the factors of the decays at or before t. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_op.h"
#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <string.h>

static const double IDENTITY[4] = {1, 0, 0, 1};

static int forward(void *ctx, const double *theta, double *f) {
  (void)ctx;
  memcpy(f, theta, 2 * sizeof *f);
  return JS_OK;
}

static dense_op identity_op = {.rows = 2, .cols = 2, .a = IDENTITY};

static int jacobian(void *ctx, const double *theta, const int64_t *samples, int64_t n,
                    double *f, js_linop **op) {
  (void)samples, (void)n;
  if (f)
    forward(ctx, theta, f);
  return dense_op_create(&identity_op, op);
}

typedef struct seen {
  double lr[16];
  double theta0[16];
} seen;

static int record(void *ctx, const js_train_state *st) {
  seen *s = ctx;
  s->lr[st->step] = st->lr;
  s->theta0[st->step] = st->theta[0];
  return 0;
}

static void test_decay(void **state) {
  (void)state;
  js_model model = {.n_samples = 2, .n_outputs = 2, .n_params = 2, .forward = forward,
                    .jacobian = jacobian};
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = 10;
  opt.lr = 0.5;
  opt.n_decays = 2;
  opt.decay_steps[0] = 3, opt.decay_factors[0] = 0.1;
  opt.decay_steps[1] = 7, opt.decay_factors[1] = 0.5;
  double theta[2] = {1, -2}, y[2] = {0, 0};
  seen s = {0};
  assert_int_equal(js_train(&model, y, &opt, record, &s, theta), JS_OK);
  double expect = 1;
  for (int t = 1; t <= 10; t++) {
    double eta = 0.5 * (t >= 3 ? 0.1 : 1) * (t >= 7 ? 0.5 : 1);
    expect *= 1 - eta;
    assert_true(fabs(s.lr[t] - eta) <= 1e-16);
    assert_true(fabs(s.theta0[t] - expect) <= 1e-15);
  }
  assert_true(fabs(theta[1] + 2 * expect) <= 1e-15);
  opt.decay_steps[1] = 3; /* not ascending */
  assert_failure(js_train(&model, y, &opt, NULL, NULL, theta), JS_EINVAL, "decay", NULL);
  opt.decay_steps[1] = 7, opt.decay_factors[1] = 0;
  assert_failure(js_train(&model, y, &opt, NULL, NULL, theta), JS_EINVAL, "decay", NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_decay)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

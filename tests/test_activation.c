/* Activations: phi' against central differences of phi, exact values at
 * the kinks and far tails, the block scaling, parse/name, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "model/activation.h"

#include <math.h>
#include <string.h>

#define N_POINTS 432 /* z from -8 to 8, even: the grid steps over 0 */

static const js_activation all_acts[] = {
    {JS_ACT_LINEAR, 0},   {JS_ACT_RELU, 0},     {JS_ACT_LEAKY, 0.1},
    {JS_ACT_LEAKY, -0.5}, {JS_ACT_LEAKY, 1.7},  {JS_ACT_SOFTPLUS, 0},
    {JS_ACT_TANH, 0},     {JS_ACT_SIGMOID, 0},  {JS_ACT_QUADRATIC, 0}};
#define N_ACTS (sizeof all_acts / sizeof all_acts[0])

/* (phi(z + h) - phi(z - h)) / 2h matches phi'(z) to O(h^2) away from kinks
 * (the grid steps over z = 0 for relu and leaky). */
static void test_derivative_vs_finite_differences(void **state) {
  (void)state;
  const double h = 1e-5;
  double z[N_POINTS], plus[N_POINTS], minus[N_POINTS], dphi[N_POINTS];
  for (int i = 0; i < N_POINTS; i++)
    z[i] = -8.0 + 16.0 * (i + 0.5) / N_POINTS;
  for (size_t a = 0; a < N_ACTS; a++) {
    js_activation act = all_acts[a];
    for (int i = 0; i < N_POINTS; i++) {
      plus[i] = z[i] + h;
      minus[i] = z[i] - h;
    }
    js_activation_forward(act, plus, plus, N_POINTS); /* in place */
    js_activation_forward(act, minus, minus, N_POINTS);
    js_activation_derivative(act, dphi, z, N_POINTS);
    for (int i = 0; i < N_POINTS; i++) {
      double fd = (plus[i] - minus[i]) / (2 * h);
      if (fabs(fd - dphi[i]) > 1e-8 * fmax(1.0, fabs(dphi[i]))) {
        print_error("kind %d at z = %g: phi' %.17g, differences %.17g\n", (int)act.kind,
                    z[i], dphi[i], fd);
        fail();
      }
    }
  }
}

static double phi_at(js_activation act, double z) {
  double h;
  js_activation_forward(act, &h, &z, 1);
  return h;
}

static double dphi_at(js_activation act, double z) {
  double d;
  js_activation_derivative(act, &d, &z, 1);
  return d;
}

static void test_exact_values(void **state) {
  (void)state;
  js_activation relu = {JS_ACT_RELU, 0}, leaky = {JS_ACT_LEAKY, 0.25};
  js_activation softplus = {JS_ACT_SOFTPLUS, 0}, sigmoid = {JS_ACT_SIGMOID, 0};
  js_activation quadratic = {JS_ACT_QUADRATIC, 0}, tanh_act = {JS_ACT_TANH, 0};
  assert_true(dphi_at(relu, 0.0) == 0.0); /* DESIGN.md: relu'(0) = 0 */
  assert_true(dphi_at(leaky, 0.0) == 0.25);
  assert_true(phi_at(leaky, -2.0) == -0.5);
  assert_true(phi_at(quadratic, 3.0) == 4.5 && dphi_at(quadratic, 3.0) == 3.0);
  assert_true(fabs(phi_at(softplus, 0.0) - log(2.0)) < 1e-15);
  assert_true(phi_at(sigmoid, 0.0) == 0.5 && dphi_at(sigmoid, 0.0) == 0.25);
  assert_true(dphi_at(tanh_act, 0.0) == 1.0);
  /* Far tails: finite, and softplus(z) = z, softplus(-z) ~ e^-z exactly. */
  assert_true(phi_at(softplus, 800.0) == 800.0);
  assert_true(phi_at(softplus, -800.0) >= 0.0 && phi_at(softplus, -800.0) < 1e-300);
  assert_true(fabs(phi_at(softplus, -30.0) / exp(-30.0) - 1) < 1e-12);
  assert_true(dphi_at(softplus, -800.0) == 0.0 && dphi_at(softplus, 800.0) == 1.0);
  assert_true(dphi_at(sigmoid, -800.0) == 0.0 && dphi_at(sigmoid, 800.0) == 0.0);
}

/* t_j *= dphi for each vector of the block, against a plain loop. */
static void test_scale_block(void **state) {
  (void)state;
  double t[3 * 5], want[3 * 5], dphi[5] = {1.0, -2.0, 0.5, 0.0, 3.0};
  for (int i = 0; i < 15; i++)
    t[i] = want[i] = i + 1.0;
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 5; i++)
      want[j * 5 + i] *= dphi[i];
  js_activation_scale_block(t, dphi, 5, 3);
  assert_memory_equal(t, want, sizeof t);
}

static void test_parse_name_round_trip(void **state) {
  (void)state;
  const char *names[] = {"linear",    "relu",     "leaky:0.1", "leaky:-0.5", "leaky:0.99",
                         "softplus",  "tanh",     "sigmoid",   "quadratic",  "leaky:1e-07"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    js_activation act;
    char buf[64];
    assert_int_equal(js_activation_parse(names[i], &act), JS_OK);
    js_activation_name(act, buf, sizeof buf);
    assert_string_equal(buf, names[i]);
  }
  /* A slope needing all 17 digits still parses back to itself. */
  js_activation act = {JS_ACT_LEAKY, 0.1 + 1e-16}, back;
  char buf[64];
  js_activation_name(act, buf, sizeof buf);
  assert_int_equal(js_activation_parse(buf, &back), JS_OK);
  assert_true(back.kind == JS_ACT_LEAKY && back.slope == act.slope);
}

static void test_bad_names(void **state) {
  (void)state;
  const char *bad[] = {"",         "Relu",       "relu ",     "leaky",     "leaky:",
                       "leaky:ab", "leaky:0.1x", "leaky:nan", "leaky:inf", "sigmoid2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    js_activation act = {JS_ACT_TANH, 0};
    js_clear_error();
    assert_int_equal(js_activation_parse(bad[i], &act), JS_EINVAL);
    assert_true(strlen(js_last_error()) > 0);
    assert_int_equal(act.kind, JS_ACT_TANH); /* untouched on failure */
  }
  /* An unknown name is answered with the list of valid ones. */
  js_activation act;
  assert_int_equal(js_activation_parse("gelu", &act), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "softplus"));
  assert_non_null(strstr(js_last_error(), "leaky:"));
  assert_int_equal(js_activation_parse(NULL, &act), JS_EINVAL);
  assert_int_equal(js_activation_parse("relu", NULL), JS_EINVAL);
}

/* B = sup |phi'|, checked also against the derivative on a grid. */
static void test_derivative_bound(void **state) {
  (void)state;
  const double want[N_ACTS] = {1, 1, 1, 1, 1.7, 1, 1, 0.25, INFINITY};
  for (size_t a = 0; a < N_ACTS; a++) {
    double bound = js_activation_derivative_bound(all_acts[a]);
    assert_true(bound == want[a]);
    for (double z = -10; z <= 10; z += 0.01)
      assert_true(fabs(dphi_at(all_acts[a], z)) <= bound);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_derivative_vs_finite_differences),
      cmocka_unit_test(test_exact_values),
      cmocka_unit_test(test_scale_block),
      cmocka_unit_test(test_parse_name_round_trip),
      cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_derivative_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

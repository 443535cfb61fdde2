/* The Jacobian operator: products equal the explicit J's, counts follow the
 * block sizes, mismatched data are rejected. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "reference_net.h"

#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 6
#define DIM 4
#define N_OUT 3

typedef struct fixture {
  js_net *net;
  double x[N_SAMPLES * DIM];
  js_dataset data; /* borrows x; y unused by the operator */
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  js_net_options opt;
  js_net_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths[0] = DIM;
  opt.widths[1] = 5;
  opt.widths[2] = 4;
  opt.widths[3] = N_OUT;
  opt.trained = 0x5u; /* W_1 and W_3 */
  opt.batch_size = 4; /* does not divide n */
  if (!fx || js_net_create(&opt, &fx->net))
    return -1;
  ref_fill_normal(fx->x, N_SAMPLES * DIM, 3);
  fx->data = (js_dataset){.n_samples = N_SAMPLES, .dim = DIM, .n_outputs = N_OUT, .x = fx->x};
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  js_net_free(fx->net);
  free(fx);
  return 0;
}

static void test_products_and_counts(void **state) {
  fixture *fx = *state;
  js_linop *op = NULL;
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, &op), JS_OK);
  int64_t rows = N_SAMPLES * N_OUT, p = js_net_n_params(fx->net);
  assert_int_equal(js_linop_rows(op), rows);
  assert_int_equal(js_linop_cols(op), p);
  double *jacobian = calloc((size_t)(rows * p), sizeof *jacobian);
  double *in = calloc((size_t)(3 * (rows + p)), sizeof *in);
  double *out = calloc((size_t)(3 * (rows + p)), sizeof *out);
  double *want = calloc((size_t)(3 * (rows + p)), sizeof *want);
  ref_jacobian(fx->net, fx->x, N_SAMPLES, jacobian);

  int64_t applied = 0, applied_t = 0;
  for (int64_t b = 1; b <= 3; b += 2) {
    ref_fill_normal(in, p * b, 10 + (uint64_t)b);
    assert_int_equal(js_linop_apply(op, b, in, out), JS_OK);
    ref_apply(jacobian, rows, p, 0, b, in, want);
    assert_true(ref_relative_error(out, want, rows * b) <= 1e-12);
    assert_int_equal(js_linop_apply_count(op), applied += b);

    ref_fill_normal(in, rows * b, 20 + (uint64_t)b);
    assert_int_equal(js_linop_apply_t(op, b, in, out), JS_OK);
    ref_apply(jacobian, rows, p, 1, b, in, want);
    assert_true(ref_relative_error(out, want, p * b) <= 1e-12);
    assert_int_equal(js_linop_apply_t_count(op), applied_t += b);
  }
  js_linop_reset_counts(op);
  assert_int_equal(js_linop_apply_count(op), 0);
  assert_int_equal(js_linop_apply_t_count(op), 0);
  js_linop_free(op); /* frees the operator's context too (checked by ASan/valgrind runs) */
  free(jacobian);
  free(in);
  free(out);
  free(want);
}

static void expect_rejected(js_net *net, const js_dataset *data) {
  js_linop *op = (js_linop *)data; /* any non-NULL value: must be reset */
  js_clear_error();
  assert_int_equal(js_jacobian_create(net, data, &op), JS_EINVAL);
  assert_null(op);
  assert_true(strlen(js_last_error()) > 0);
}

static void test_mismatched_data(void **state) {
  fixture *fx = *state;
  js_dataset data = fx->data;
  data.dim = DIM + 1;
  expect_rejected(fx->net, &data);
  data = fx->data;
  data.n_outputs = N_OUT - 1;
  expect_rejected(fx->net, &data);
  data = fx->data;
  data.n_samples = 0;
  expect_rejected(fx->net, &data);
  data = fx->data;
  data.x = NULL;
  expect_rejected(fx->net, &data);
  expect_rejected(NULL, &fx->data);
  expect_rejected(fx->net, NULL);
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, NULL), JS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_products_and_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mismatched_data, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The Jacobian operator: products equal the explicit J's (an MLP with
 * biases, some of them trained), counts follow the block sizes, mismatched
 * data are rejected, image-shaped data of the right size are flattened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "reference_net.h"
#include "scratch.h"

#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 6
#define DIM 4
#define N_OUT 3

typedef struct fixture {
  js_net *net;
  ref_mlp arch;
  double x[N_SAMPLES * DIM];
  js_dataset data; /* borrows x; y unused by the operator; shape left 0 (flat) */
  js_jacobian_options opt;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  static const int64_t widths[] = {DIM, 5, 4, N_OUT};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths = widths;
  opt.bias = 1;
  if (!fx || js_net_create_mlp(&opt, &fx->net) || js_net_set_trained(fx->net, "W1,b2,W3"))
    return -1;
  fx->arch = ref_mlp_of(&opt);
  js_jacobian_options_init_defaults(&fx->opt);
  fx->opt.batch_size = 4; /* does not divide n */
  ref_fill_normal(fx->x, N_SAMPLES * DIM, 3);
  /* Biases away from zero, so that their columns of J are tested. */
  ref_fill_normal(js_net_tensor_mut(fx->net, js_net_find_tensor(fx->net, "b1")), 5, 4);
  ref_fill_normal(js_net_tensor_mut(fx->net, js_net_find_tensor(fx->net, "b2")), 4, 5);
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
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, &fx->opt, &op), JS_OK);
  int64_t rows = N_SAMPLES * N_OUT, p = js_net_n_params(fx->net);
  assert_int_equal(js_linop_rows(op), rows);
  assert_int_equal(js_linop_cols(op), p);
  double *jacobian = calloc((size_t)(rows * p), sizeof *jacobian);
  double *in = calloc((size_t)(3 * (rows + p)), sizeof *in);
  double *out = calloc((size_t)(3 * (rows + p)), sizeof *out);
  double *want = calloc((size_t)(3 * (rows + p)), sizeof *want);
  assert_int_equal(ref_n_params(&fx->arch, fx->net), p);
  ref_jacobian(&fx->arch, fx->net, fx->x, N_SAMPLES, jacobian);

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

static void expect_rejected(const js_net *net, const js_dataset *data, const char *word) {
  js_linop *op = (js_linop *)&op; /* any non-NULL value: must be reset */
  js_clear_error();
  assert_failure(js_jacobian_create(net, data, NULL, &op), JS_EINVAL, word, NULL);
  assert_null(op);
}

static void test_mismatched_data(void **state) {
  fixture *fx = *state;
  js_dataset data = fx->data;
  data.dim = DIM + 1;
  expect_rejected(fx->net, &data, "(5)");
  data = fx->data;
  data.n_outputs = N_OUT - 1;
  expect_rejected(fx->net, &data, "outputs");
  data = fx->data;
  data.n_samples = 0;
  expect_rejected(fx->net, &data, "no samples");
  data = fx->data;
  data.x = NULL;
  expect_rejected(fx->net, &data, "no samples");
  data = fx->data;
  data.shape = (js_shape){1, {DIM + 2, 0, 0}}; /* a flat shape of another size */
  data.dim = DIM + 2;
  expect_rejected(fx->net, &data, "(6)");
  expect_rejected(NULL, &fx->data, "network");
  expect_rejected(fx->net, NULL, "data");
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, NULL, NULL), JS_EINVAL);
  double theta[64] = {0};
  js_linop *op = (js_linop *)&op;
  assert_int_equal(js_jacobian_create_at(fx->net, theta, &data, NULL, &op), JS_EINVAL);
  assert_null(op);
}

/* Samples given as images (1, 2, 2) for a flat network of 4 inputs are
 * flattened: the same operator as on flat data. */
static void test_image_data_on_flat_network(void **state) {
  fixture *fx = *state;
  js_dataset image = fx->data;
  image.shape = (js_shape){3, {1, 2, 2}};
  js_linop *flat = NULL, *op = NULL;
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, NULL, &flat), JS_OK);
  assert_int_equal(js_jacobian_create(fx->net, &image, NULL, &op), JS_OK);
  int64_t rows = N_SAMPLES * N_OUT, p = js_net_n_params(fx->net);
  double v[64], a[N_SAMPLES * N_OUT], b[N_SAMPLES * N_OUT];
  assert_true(p <= 64);
  ref_fill_normal(v, p, 9);
  assert_int_equal(js_linop_apply(flat, 1, v, a), JS_OK);
  assert_int_equal(js_linop_apply(op, 1, v, b), JS_OK);
  assert_memory_equal(a, b, sizeof(double) * (size_t)rows);
  js_linop_free(flat);
  js_linop_free(op);
}

/* No trained tensor on a path to f: only W3 trained, and the output moved
 * to the node before W3's layer. */
static void test_nothing_to_differentiate(void **state) {
  fixture *fx = *state;
  js_net *net = NULL;
  assert_int_equal(js_net_clone(fx->net, &net), JS_OK);
  assert_int_equal(js_net_set_trained(net, "W3"), JS_OK);
  /* Node ids of the MLP: 1 dense, 2 act, 3 dense, 4 act, 5 dense. */
  assert_int_equal(js_net_set_output(net, 4), JS_OK);
  js_dataset data = fx->data;
  data.n_outputs = 4;
  js_linop *op = (js_linop *)&op;
  assert_failure(js_jacobian_create(net, &data, NULL, &op), JS_EINVAL, "path to the output",
                 NULL);
  assert_null(op);
  js_net_free(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_products_and_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mismatched_data, setup, teardown),
      cmocka_unit_test_setup_teardown(test_image_data_on_flat_network, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nothing_to_differentiate, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The explicit Gram G = J J^T of dense chains (js_jacobian_gram), against
 * two independent computations: the implicit operator J (J^T x) and the
 * Gram of the reference network's explicitly formed J (hand backprop, its
 * own loops). For 1 and 2 hidden layers, with and without biases, several
 * trained sets and activations, batches that do not divide n, cached and
 * uncached; single precision; spectra and densities through it agree with
 * the implicit ones; networks it does not cover are refused by name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dense_op.h"
#include "reference_net.h"

#include "core/blas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 7
#define DIM 5

typedef struct net_case {
  int hidden;              /* 1 or 2 */
  int64_t widths[4];       /* d, hidden..., K */
  const char *act;
  int bias;
  const char *trained;
  uint64_t seed;
} net_case;

static const net_case cases[] = {
    {1, {DIM, 8, 3}, "softplus", 0, "W1", 1},
    {1, {DIM, 8, 3}, "relu", 1, "all", 2},
    {1, {DIM, 6, 2}, "quadratic", 0, "W2", 3},
    {1, {DIM, 6, 1}, "linear", 1, "all", 4},
    {2, {DIM, 6, 4, 3}, "tanh", 0, "all", 5},
    {2, {DIM, 6, 4, 3}, "sigmoid", 1, "W1,b2,W3", 6},
    {2, {DIM, 6, 4, 2}, "leaky:0.2", 1, "b1", 7},
    {2, {DIM, 6, 4, 3}, "softplus", 1, "W2", 8},
};

typedef struct problem {
  js_net *net;
  ref_mlp arch;
  double x[N_SAMPLES * DIM];
  js_dataset data;
  int64_t rows;
} problem;

static void build(const net_case *c, problem *pb) {
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = c->hidden + 1;
  opt.widths = c->widths;
  opt.bias = c->bias;
  opt.seed = c->seed;
  assert_int_equal(js_activation_parse(c->act, &opt.act), JS_OK);
  assert_int_equal(js_net_create_mlp(&opt, &pb->net), JS_OK);
  assert_int_equal(js_net_set_trained(pb->net, c->trained), JS_OK);
  pb->arch = ref_mlp_of(&opt);
  /* Biases away from zero, so that they change the products. */
  for (int l = 1; c->bias && l <= c->hidden + 1; l++) {
    char name[16];
    snprintf(name, sizeof name, "b%d", l);
    int t = js_net_find_tensor(pb->net, name);
    js_tensor_info info;
    js_net_tensor_info(pb->net, t, &info);
    ref_fill_normal(js_net_tensor_mut(pb->net, t), info.size, 40 + (uint64_t)l);
  }
  ref_fill_normal(pb->x, N_SAMPLES * DIM, 100 + c->seed);
  pb->rows = N_SAMPLES * c->widths[c->hidden + 1];
  pb->data = (js_dataset){.n_samples = N_SAMPLES, .dim = DIM,
                          .n_outputs = c->widths[c->hidden + 1], .x = pb->x};
}

/* G (rows x rows) from a symmetric operator applied to the identity. */
static double *columns_of(js_linop *op, int64_t rows, int transpose_pair, js_linop *jac) {
  double *eye = calloc((size_t)(rows * rows), sizeof(double));
  double *g = calloc((size_t)(rows * rows), sizeof(double));
  assert_non_null(eye);
  assert_non_null(g);
  for (int64_t i = 0; i < rows; i++)
    eye[i * rows + i] = 1;
  if (transpose_pair) { /* J (J^T e_i) */
    int64_t p = js_linop_cols(jac);
    double *t = calloc((size_t)(p * rows), sizeof(double));
    assert_non_null(t);
    assert_int_equal(js_linop_apply_t(jac, rows, eye, t), JS_OK);
    assert_int_equal(js_linop_apply(jac, rows, t, g), JS_OK);
    free(t);
  } else {
    assert_int_equal(js_linop_apply(op, rows, eye, g), JS_OK);
  }
  free(eye);
  return g;
}

/* G = J_ref J_ref^T from the reference network's explicit J. */
static double *reference_gram(const problem *pb) {
  int64_t p = ref_n_params(&pb->arch, pb->net), rows = pb->rows;
  double *j = calloc((size_t)(rows * p), sizeof(double));
  double *g = calloc((size_t)(rows * rows), sizeof(double));
  assert_non_null(j);
  assert_non_null(g);
  ref_jacobian(&pb->arch, pb->net, pb->x, N_SAMPLES, j);
  for (int64_t a = 0; a < rows; a++)
    for (int64_t b = 0; b < rows; b++)
      g[a + b * rows] = ref_dot(j + a * p, j + b * p, p);
  free(j);
  return g;
}

/* The explicit G equals J (J^T x) and J_ref J_ref^T to 1e-12, for batches
 * that do not divide n, with and without the activation cache. */
static void test_against_implicit_and_reference(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    problem pb;
    build(&cases[c], &pb);
    double *ref = reference_gram(&pb);
    for (int cached = 0; cached <= 1; cached++) {
      js_jacobian_options jopt;
      js_jacobian_options_init_defaults(&jopt);
      jopt.batch_size = 3;
      jopt.cache_limit = cached ? jopt.cache_limit : 0;
      js_linop *jac = NULL, *gram = NULL;
      assert_int_equal(js_jacobian_create(pb.net, &pb.data, &jopt, &jac), JS_OK);
      assert_int_equal(js_jacobian_gram(jac, &gram), JS_OK);
      assert_int_equal(js_linop_rows(gram), pb.rows);
      assert_int_equal(js_linop_cols(gram), pb.rows);
      double *explicit_g = columns_of(gram, pb.rows, 0, NULL);
      double *implicit_g = columns_of(NULL, pb.rows, 1, jac);
      double e1 = ref_relative_error(explicit_g, implicit_g, pb.rows * pb.rows);
      double e2 = ref_relative_error(explicit_g, ref, pb.rows * pb.rows);
      if (e1 > 1e-12 || e2 > 1e-12)
        fail_msg("case %zu (%s, %s, bias %d), cached %d: %g against J (J^T x), %g against "
                 "the reference", c, cases[c].act, cases[c].trained, cases[c].bias, cached,
                 e1, e2);
      /* A random block, and the transposed product (G is symmetric). */
      double x[3 * 21], y[3 * 21], t[3 * 21];
      assert_true(pb.rows <= 21);
      ref_fill_normal(x, 3 * pb.rows, 7);
      assert_int_equal(js_linop_apply_t(gram, 3, x, y), JS_OK);
      ref_apply(ref, pb.rows, pb.rows, 0, 3, x, t); /* ref is symmetric */
      assert_true(ref_relative_error(y, t, 3 * pb.rows) <= 1e-12);
      free(explicit_g);
      free(implicit_g);
      js_linop_free(gram);
      js_linop_free(jac);
    }
    free(ref);
    js_net_free(pb.net);
  }
}

/* res's residuals (from G U, and ||J^T u_s|| - sigma_s) against those of
 * products with J: ||J v_s - sigma_s u_s|| and ||J^T u_s - sigma_s v_s||
 * over sigma_1. */
static void expect_residuals_of_products(js_linop *jac, const js_svds_result *res) {
  int64_t k = res->rank, rows = res->rows, p = res->cols;
  double *jv = calloc((size_t)(rows * k), sizeof(double));
  double *jtu = calloc((size_t)(p * k), sizeof(double));
  assert_non_null(jv);
  assert_non_null(jtu);
  assert_int_equal(js_linop_apply(jac, k, res->v, jv), JS_OK);
  assert_int_equal(js_linop_apply_t(jac, k, res->u, jtu), JS_OK);
  for (int64_t s = 0; s < k; s++) {
    double ru = 0, rv = 0;
    for (int64_t i = 0; i < rows; i++)
      ru += pow(jv[s * rows + i] - res->sigma[s] * res->u[s * rows + i], 2);
    for (int64_t i = 0; i < p; i++)
      rv += pow(jtu[s * p + i] - res->sigma[s] * res->v[s * p + i], 2);
    double du = fabs(sqrt(ru) / res->sigma[0] - res->residual_u[s]);
    double dv = fabs(sqrt(rv) / res->sigma[0] - res->residual_v[s]);
    if (du > 1e-14 || dv > 1e-14)
      fail_msg("triplet %lld: residuals %g and %g, by products %g and %g", (long long)s,
               res->residual_u[s], res->residual_v[s], sqrt(ru) / res->sigma[0],
               sqrt(rv) / res->sigma[0]);
  }
  free(jv);
  free(jtu);
}

/* js_symm (the explicit G's block product) against js_symv, vector by
 * vector: fewer vectors than its block path takes, and more, on several
 * tiles of 512 columns and a part of one; the upper triangle (NaN) is
 * never read. */
static void test_symmetric_block_product(void **state) {
  (void)state;
  int64_t n = 1300;
  double *a = malloc(sizeof(double) * (size_t)(n * n));
  double *x = malloc(sizeof(double) * (size_t)(n * 20));
  double *y = malloc(sizeof(double) * (size_t)(n * 20));
  double *z = malloc(sizeof(double) * (size_t)n);
  assert_non_null(a);
  assert_non_null(x);
  assert_non_null(y);
  assert_non_null(z);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      a[i * n + j] = j <= i ? sin(7.0 * (double)i + 3.0 * (double)j) : NAN;
  ref_fill_normal(x, n * 20, 11);
  int64_t blocks[] = {3, 16, 20};
  for (size_t c = 0; c < sizeof blocks / sizeof blocks[0]; c++) {
    int64_t b = blocks[c];
    js_symm(n, b, a, n, x, y);
    for (int64_t j = 0; j < b; j++) {
      js_symv(n, 1.0, a, n, x + j * n, 0.0, z);
      double error = ref_relative_error(y + j * n, z, n);
      if (!(error <= 1e-14))
        fail_msg("%lld vectors, vector %lld: %g from js_symv", (long long)b, (long long)j,
                 error);
    }
  }
  free(a);
  free(x);
  free(y);
  free(z);
}

/* Single precision forms G with sgemm: within float's rounding of the
 * double G. The Jacobian may be freed before its Gram. */
static void test_single_precision(void **state) {
  (void)state;
  problem pb;
  build(&cases[4], &pb);
  double *ref = reference_gram(&pb);
  js_jacobian_options jopt;
  js_jacobian_options_init_defaults(&jopt);
  jopt.precision = JS_PRECISION_SINGLE;
  js_linop *jac = NULL, *gram = NULL;
  assert_int_equal(js_jacobian_create(pb.net, &pb.data, &jopt, &jac), JS_OK);
  assert_int_equal(js_jacobian_gram(jac, &gram), JS_OK);
  js_linop_free(jac);
  double *g = columns_of(gram, pb.rows, 0, NULL);
  double e = ref_relative_error(g, ref, pb.rows * pb.rows);
  assert_true(e <= 1e-5);
  assert_true(e > 0); /* it did compute in float */
  free(g);
  free(ref);
  js_linop_free(gram);
  js_net_free(pb.net);
}

/* A CNN whose dense top alone is trained is a dense chain above the
 * convolution's features: G against J (J^T x). The whole CNN, and an
 * operator that is not a Jacobian, are refused with a message. */
static void test_cnn_top_and_refusals(void **state) {
  (void)state;
  js_shape shape = {3, {1, 6, 6}};
  js_net *net = NULL;
  assert_int_equal(js_net_create_arch("cnn:conv=3x3,pool=avg2,dense=6", &shape, 2, 9, &net),
                   JS_OK);
  int64_t n = 5, d = 36, rows = n * 2;
  double x[5 * 36];
  ref_fill_normal(x, n * d, 11);
  js_dataset data = {.n_samples = n, .dim = d, .shape = shape, .n_outputs = 2, .x = x};
  js_linop *jac = NULL, *gram = NULL;
  assert_int_equal(js_jacobian_create(net, &data, NULL, &jac), JS_OK);
  assert_int_equal(js_jacobian_gram(jac, &gram), JS_EINVAL);
  assert_null(gram);
  assert_non_null(strstr(js_last_error(), "node 3 is avgpool"));
  js_gram_cost cost;
  assert_int_equal(js_net_gram_cost(net, n, &cost), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "node 3 is avgpool"));
  js_linop_free(jac);

  assert_int_equal(js_net_set_trained(net, "dense*,fc.*"), JS_OK);
  assert_int_equal(js_jacobian_create(net, &data, NULL, &jac), JS_OK);
  assert_int_equal(js_jacobian_gram(jac, &gram), JS_OK);
  double *explicit_g = columns_of(gram, rows, 0, NULL);
  double *implicit_g = columns_of(NULL, rows, 1, jac);
  assert_true(ref_relative_error(explicit_g, implicit_g, rows * rows) <= 1e-12);
  free(explicit_g);
  free(implicit_g);
  js_linop_free(gram);
  js_linop_free(jac);
  js_net_free(net);

  double a[4] = {1, 2, 3, 4};
  dense_op dop = {.rows = 2, .cols = 2, .a = a};
  js_linop *plain = NULL;
  assert_int_equal(dense_op_create(&dop, &plain), JS_OK);
  assert_int_equal(js_jacobian_gram(plain, &gram), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "not a network's Jacobian"));
  js_linop_free(plain);
}

/* js_net_gram_cost for 784-256-3 with W1 trained, by hand: a step 5 * 2 N^2;
 * forming the sensitivity walk s W2 (2 N K k), the tiles N^2 k + n^2 d and
 * 25 steps; the implicit product 4 n k d (x dW^T and dW) + 4 n K k (W2
 * both ways). */
static void test_cost(void **state) {
  (void)state;
  static const int64_t widths[] = {784, 256, 3};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.widths = widths;
  js_net *net = NULL;
  assert_int_equal(js_net_create_mlp(&opt, &net), JS_OK);
  js_gram_cost cost;
  assert_int_equal(js_net_gram_cost(net, 3000, &cost), JS_OK);
  double n = 3000, N = 9000, d = 784, k = 256, K = 3;
  double step = 10 * N * N;
  assert_true(fabs(cost.step_flops - step) <= 1e-12 * step);
  assert_true(fabs(cost.form_flops - (2 * N * K * k + N * N * k + n * n * d + 25 * step)) <=
              1e-12 * cost.form_flops);
  assert_true(fabs(cost.implicit_flops - (4 * n * k * d + 4 * n * K * k)) <=
              1e-12 * cost.implicit_flops);
  assert_true(cost.bytes >= (size_t)(8 * N * N + 8 * (N * k + n * d)));
  assert_int_equal(js_net_gram_cost(net, 0, &cost), JS_EINVAL);
  js_net_free(net);
}

/* The top triplets through the explicit Gram agree with the implicit
 * solve's, with far fewer products with J; the params side is refused. */
static void test_spectrum_and_density(void **state) {
  (void)state;
  problem pb;
  build(&cases[5], &pb);
  js_linop *jac = NULL, *gram = NULL;
  assert_int_equal(js_jacobian_create(pb.net, &pb.data, NULL, &jac), JS_OK);
  assert_int_equal(js_jacobian_gram(jac, &gram), JS_OK);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 6;
  opt.method = JS_SVDS_GRAM;
  js_svds_result *implicit_res = NULL, *explicit_res = NULL;
  assert_int_equal(js_svds(jac, &opt, &implicit_res), JS_OK);
  opt.gram = gram;
  assert_int_equal(js_svds(jac, &opt, &explicit_res), JS_OK);
  assert_int_equal(explicit_res->rank, implicit_res->rank);
  for (int64_t s = 0; s < explicit_res->rank; s++) {
    assert_true(fabs(explicit_res->sigma[s] - implicit_res->sigma[s]) <=
                1e-10 * implicit_res->sigma[0]);
    assert_true(explicit_res->residual_u[s] <= 1e-10);
    assert_true(explicit_res->residual_v[s] <= 1e-10);
  }
  assert_int_equal(implicit_res->n_gram, 0);
  assert_true(explicit_res->n_gram > 0);
  /* J only for v = J^T u (6 J^T) and the check of G (1 J, 1 J^T): the
   * residuals come from G U. They are those products give. */
  assert_int_equal(explicit_res->n_apply, 1);
  assert_int_equal(explicit_res->n_apply_t, 7);
  assert_true(explicit_res->gram_check <= 1e-13);
  assert_true(isnan(implicit_res->gram_check));
  expect_residuals_of_products(jac, explicit_res);
  /* u alone: no J^T block (1 J^T and 1 J for the check), the same triplets. */
  opt.want_vectors = JS_VECTORS_U;
  js_svds_result *left_res = NULL;
  assert_int_equal(js_svds(jac, &opt, &left_res), JS_OK);
  assert_null(left_res->v);
  assert_non_null(left_res->u);
  assert_int_equal(left_res->n_apply, 1);
  assert_int_equal(left_res->n_apply_t, 1);
  assert_int_equal(left_res->rank, explicit_res->rank);
  for (int64_t s = 0; s < left_res->rank; s++) {
    assert_true(left_res->sigma[s] == explicit_res->sigma[s]);
    assert_true(fabs(left_res->residual_u[s] - explicit_res->residual_u[s]) <= 1e-14);
    assert_true(fabs(left_res->residual_v[s] - explicit_res->residual_v[s]) <= 1e-14);
  }
  assert_true(left_res->gram_check <= 1e-13);
  js_svds_result_free(left_res);
  /* A G that is not J J^T shows in the check: with G' = G + 1e-6 lambda_1^2 I,
   * ||G' z - G z|| / ||G' z|| >= 1e-6 / (1 + 1e-6) for any z. */
  int64_t rows = pb.rows;
  double *wrong = columns_of(gram, rows, 0, NULL);
  for (int64_t i = 0; i < rows; i++)
    wrong[i + i * rows] += 1e-6 * implicit_res->sigma[0] * implicit_res->sigma[0];
  dense_op wrong_g = {.rows = rows, .cols = rows, .a = wrong};
  js_linop *wrong_op = NULL;
  assert_int_equal(dense_op_create(&wrong_g, &wrong_op), JS_OK);
  opt.gram = wrong_op;
  js_svds_result *wrong_res = NULL;
  assert_int_equal(js_svds(jac, &opt, &wrong_res), JS_OK);
  if (!(wrong_res->gram_check >= 0.999e-6))
    fail_msg("a G off by 1e-6 lambda_1^2 I: check %g", wrong_res->gram_check);
  js_svds_result_free(wrong_res);
  js_linop_free(wrong_op);
  free(wrong);
  opt.gram = gram;
  opt.want_vectors = JS_VECTORS_ALL;
  opt.side = JS_SIDE_PARAMS;
  js_svds_result *refused = NULL;
  assert_int_equal(js_svds(jac, &opt, &refused), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "params side"));

  js_density_options dopt;
  js_density_options_init_defaults(&dopt);
  dopt.probes = 4;
  dopt.steps = 10;
  js_density_result *implicit_d = NULL, *explicit_d = NULL;
  assert_int_equal(js_density(jac, &dopt, &implicit_d), JS_OK);
  dopt.gram = gram;
  assert_int_equal(js_density(jac, &dopt, &explicit_d), JS_OK);
  assert_int_equal(explicit_d->n_nodes, implicit_d->n_nodes);
  for (int64_t k = 0; k < explicit_d->n_nodes; k++) {
    assert_true(fabs(explicit_d->nodes[k] - implicit_d->nodes[k]) <= 1e-8 * implicit_d->sigma_max);
    assert_true(fabs(explicit_d->weights[k] - implicit_d->weights[k]) <= 1e-8 * pb.rows);
  }
  assert_int_equal(explicit_d->n_apply + explicit_d->n_apply_t, 0);
  assert_int_equal(explicit_d->n_gram, implicit_d->n_apply);
  js_density_result_free(implicit_d);
  js_density_result_free(explicit_d);
  js_svds_result_free(implicit_res);
  js_svds_result_free(explicit_res);
  js_linop_free(gram);
  js_linop_free(jac);
  js_net_free(pb.net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_implicit_and_reference),
      cmocka_unit_test(test_single_precision),
      cmocka_unit_test(test_cnn_top_and_refusals),
      cmocka_unit_test(test_cost),
      cmocka_unit_test(test_spectrum_and_density),
      cmocka_unit_test(test_symmetric_block_product),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

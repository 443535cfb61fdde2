/* The solver on a network's Jacobian operator (not a stand-in matrix):
 * top-r triplets from ARPACK (js_svds) and from the dense path
 * (js_svds_dense) against LAPACK's dgesvd_ of the explicit J built by the
 * reference network, for r up to 50 and both Gram sides: values to 1e-10
 * relative, vectors up to sign, residuals as recomputed from the explicit J.
 *
 * Letters: m = nK rows, p columns, mn = min(m, p), r the triplets asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_svd.h"
#include "reference_net.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 30
#define DIM 8
#define N_OUT 3
#define M (N_SAMPLES * N_OUT) /* 90 */
/* ARPACK's tau at the default tol, sqrt(2e-12) = 1.4e-6, bounds the
 * Lanczos residuals rho / (sigma sigma_1) (tests/test_svds.c): with room. */
#define RESIDUAL_BOUND 2e-6

typedef struct problem {
  js_net *net;
  ref_mlp arch;
  double x[N_SAMPLES * DIM];
  js_dataset data;
  js_jacobian_options opt;
  int64_t p, mn;
  double *jacobian;  /* M x p, row-major, from the reference network */
  double *s, *u, *v; /* its dgesvd_: mn values, u (M x mn), v (p x mn) */
} problem;

static void problem_init(problem *pb, const char *act, int64_t hidden, int bias,
                         const char *trained) {
  const int64_t widths[] = {DIM, hidden, N_OUT};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 2;
  opt.widths = widths;
  opt.bias = bias;
  opt.seed = 3;
  assert_int_equal(js_activation_parse(act, &opt.act), JS_OK);
  assert_int_equal(js_net_create_mlp(&opt, &pb->net), JS_OK);
  assert_int_equal(js_net_set_trained(pb->net, trained), JS_OK);
  pb->arch = ref_mlp_of(&opt);
  if (bias) /* biases away from zero */
    ref_fill_normal(js_net_tensor_mut(pb->net, js_net_find_tensor(pb->net, "b1")), hidden, 23);
  js_jacobian_options_init_defaults(&pb->opt);
  pb->opt.batch_size = 7; /* does not divide n */
  ref_fill_normal(pb->x, N_SAMPLES * DIM, 19);
  pb->data = (js_dataset){.n_samples = N_SAMPLES, .dim = DIM, .n_outputs = N_OUT,
                          .x = pb->x};
  pb->p = js_net_n_params(pb->net);
  assert_int_equal(ref_n_params(&pb->arch, pb->net), pb->p);
  pb->mn = M < pb->p ? M : pb->p;
  pb->jacobian = calloc((size_t)(M * pb->p), sizeof(double));
  pb->s = calloc((size_t)pb->mn, sizeof(double));
  pb->u = calloc((size_t)(M * pb->mn), sizeof(double));
  pb->v = calloc((size_t)(pb->p * pb->mn), sizeof(double));
  assert_non_null(pb->jacobian);
  assert_non_null(pb->s);
  assert_non_null(pb->u);
  assert_non_null(pb->v);
  ref_jacobian(&pb->arch, pb->net, pb->x, N_SAMPLES, pb->jacobian);
  assert_int_equal(dense_svd(pb->jacobian, M, pb->p, pb->s, pb->u, pb->v), 0);
}

static void problem_free(problem *pb) {
  js_net_free(pb->net);
  free(pb->jacobian);
  free(pb->s);
  free(pb->u);
  free(pb->v);
}

/* ||J x - sigma y|| / sigma_1 (transpose: ||J^T x - sigma y||) with the
 * explicit J. */
static double residual(const problem *pb, int transpose, const double *x, double sigma,
                       const double *y, double sigma_1) {
  int64_t rows = transpose ? pb->p : M;
  double *jx = calloc((size_t)rows, sizeof *jx);
  ref_apply(pb->jacobian, M, pb->p, transpose, 1, x, jx);
  double sum = 0;
  for (int64_t i = 0; i < rows; i++)
    sum += (jx[i] - sigma * y[i]) * (jx[i] - sigma * y[i]);
  free(jx);
  return sqrt(sum) / sigma_1;
}

/* The r triplets of res against LAPACK: values to `rel` relative, vectors
 * up to sign wherever lambda_s is apart from its neighbours (the only
 * place a singular vector is determined), residuals small and equal to
 * the ones recomputed from the explicit J. */
static void check_triplets(const problem *pb, const js_svds_result *res, int64_t r,
                           double rel, const char *what) {
  assert_int_equal(res->rank, r);
  assert_int_equal(res->rows, M);
  assert_int_equal(res->cols, pb->p);
  assert_non_null(res->u);
  assert_non_null(res->v);
  int64_t compared = 0;
  for (int64_t s = 0; s < r; s++) {
    if (fabs(res->sigma[s] - pb->s[s]) > rel * pb->s[s])
      fail_msg("%s: sigma_%lld = %.17g, LAPACK %.17g (r = %lld)", what, (long long)s + 1,
               res->sigma[s], pb->s[s], (long long)r);
    const double *u = res->u + s * M, *v = res->v + s * pb->p;
    double gap = INFINITY; /* relative gap of lambda_s^2 to its neighbours */
    if (s > 0)
      gap = fmin(gap, pb->s[s - 1] * pb->s[s - 1] - pb->s[s] * pb->s[s]);
    if (s + 1 < pb->mn)
      gap = fmin(gap, pb->s[s] * pb->s[s] - pb->s[s + 1] * pb->s[s + 1]);
    if (gap / (pb->s[0] * pb->s[0]) > 1e-6) {
      double du = fabs(ref_dot(u, pb->u + s * M, M));
      double dv = fabs(ref_dot(v, pb->v + s * pb->p, pb->p));
      if (du < 1 - 1e-8 || dv < 1 - 1e-8)
        fail_msg("%s: |<u_%lld, u_lapack>| = %.17g, |<v, v_lapack>| = %.17g", what,
                 (long long)s + 1, du, dv);
      compared++;
    }
    double ru = residual(pb, 0, v, res->sigma[s], u, res->sigma[0]);
    double rv = residual(pb, 1, u, res->sigma[s], v, res->sigma[0]);
    assert_true(res->residual_u[s] < RESIDUAL_BOUND && res->residual_v[s] < RESIDUAL_BOUND);
    assert_true(fabs(res->residual_u[s] - ru) < 1e-12);
    assert_true(fabs(res->residual_v[s] - rv) < 1e-12);
  }
  /* The vector check is not vacuous: nearly every triplet had a gap. */
  assert_true(compared >= r - r / 10);
}

static void against_lapack(const char *act, int64_t hidden, int bias, const char *trained) {
  static const int64_t ranks[] = {1, 10, 50};
  static const js_side sides[] = {JS_SIDE_OUTPUTS, JS_SIDE_PARAMS, JS_SIDE_AUTO};
  problem pb;
  problem_init(&pb, act, hidden, bias, trained);
  assert_true(pb.mn > 50);
  js_linop *op = NULL;
  assert_int_equal(js_jacobian_create(pb.net, &pb.data, &pb.opt, &op), JS_OK);
  char what[128];
  for (int si = 0; si < 3; si++)
    for (int ri = 0; ri < 3; ri++) {
      js_svds_options opt;
      js_svds_options_init_defaults(&opt);
      opt.top = ranks[ri];
      opt.side = sides[si];
      js_svds_result *res = NULL;
      snprintf(what, sizeof what, "%s, trained %s, Lanczos side %d, r %lld", act, trained,
               (int)sides[si], (long long)ranks[ri]);
      assert_int_equal(js_svds(op, &opt, &res), JS_OK);
      assert_true(res->converged);
      if (sides[si] != JS_SIDE_AUTO)
        assert_int_equal(res->side, sides[si]);
      else
        assert_int_equal(res->side, M <= pb.p ? JS_SIDE_OUTPUTS : JS_SIDE_PARAMS);
      check_triplets(&pb, res, ranks[ri], 1e-10, what);
      js_svds_result_free(res);
      if (si == 0) { /* the dense path is the same for every side */
        snprintf(what, sizeof what, "%s, trained %s, dense, r %lld", act, trained,
                 (long long)ranks[ri]);
        assert_int_equal(js_svds_dense(op, &opt, &res), JS_OK);
        check_triplets(&pb, res, ranks[ri], 1e-12, what);
        js_svds_result_free(res);
      }
    }
  js_linop_free(op);
  problem_free(&pb);
}

/* W_1 trained, hidden width 20: p = 160 > nK = 90. */
static void test_wide(void **state) {
  (void)state;
  against_lapack("tanh", 20, 0, "W1");
}

/* W_1 trained, hidden width 8: p = 64 < nK = 90 (the other orientation). */
static void test_narrow(void **state) {
  (void)state;
  against_lapack("softplus", 8, 0, "W1");
}

/* Both layers and their biases, a kinked activation: p = 160 + 20 + 60 + 3. */
static void test_all_layers(void **state) {
  (void)state;
  against_lapack("relu", 20, 1, "all");
}

/* A ResNet20 (width 4) on 16 random 1 x 12 x 12 images, 10 outputs: J is
 * 160 x 17,266, so the dense path forms it from its 160 rows (J^T e_i)
 * and LAPACK's SVD of it is the reference for Lanczos on J J^T. The top 10
 * values agree to the default tol, 1e-10 relative, the singular vectors up
 * to sign where the values are apart; so do those of a mixed solve (the
 * single twin's Lanczos, refined in double), within their error bounds. */
static void test_resnet20_against_dense(void **state) {
  (void)state;
  js_resnet_options ro;
  js_resnet_options_init_defaults(&ro);
  ro.depth = 20;
  ro.width = 4;
  ro.input = (js_shape){3, {1, 12, 12}};
  ro.n_outputs = 10;
  ro.seed = 4;
  js_net *net = NULL;
  assert_int_equal(js_net_create_resnet(&ro, &net), JS_OK);
  int64_t p = js_net_n_params(net), n = 16, m = n * 10;
  assert_true(p > 100 * m);
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_create(n, 144, 10, 0, &data), JS_OK);
  data->shape = ro.input;
  ref_fill_normal(data->x, n * 144, 8);
  js_linop *op = NULL;
  assert_int_equal(js_jacobian_create(net, data, NULL, &op), JS_OK);
  /* One thread: on a loaded machine BLIS's busy-waiting OpenMP threads
   * make these small products many times slower (test_graph covers two). */
  assert_int_equal(js_set_threads(1), 1);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 10;
  js_svds_result *lanczos = NULL, *dense = NULL;
  assert_int_equal(js_svds(op, &opt, &lanczos), JS_OK);
  assert_true(lanczos->converged);
  assert_int_equal(lanczos->side, JS_SIDE_OUTPUTS);
  assert_int_equal(js_svds_dense(op, &opt, &dense), JS_OK);
  /* Formed from the rows: m products with J^T, then the r residual ones. */
  assert_int_equal(dense->n_apply_t, m + 10);
  assert_int_equal(dense->n_apply, 10);
  for (int64_t s = 0; s < 10; s++) {
    double rel = fabs(lanczos->sigma[s] - dense->sigma[s]) / dense->sigma[s];
    if (!(rel <= 1e-10))
      fail_msg("sigma_%lld: Lanczos %.17g, dense %.17g (relative %.3g)", (long long)s + 1,
               lanczos->sigma[s], dense->sigma[s], rel);
    assert_true(dense->residual_u[s] < 1e-10 && dense->residual_v[s] < 1e-10);
    assert_true(lanczos->residual_u[s] < RESIDUAL_BOUND &&
                lanczos->residual_v[s] < RESIDUAL_BOUND);
    double gap = INFINITY;
    if (s > 0)
      gap = fmin(gap, dense->sigma[s - 1] - dense->sigma[s]);
    if (s < 9)
      gap = fmin(gap, dense->sigma[s] - dense->sigma[s + 1]);
    if (gap > 1e-3 * dense->sigma[0]) {
      double du = fabs(ref_dot(lanczos->u + s * m, dense->u + s * m, m));
      double dv = fabs(ref_dot(lanczos->v + s * p, dense->v + s * p, p));
      if (du < 1 - 1e-8 || dv < 1 - 1e-8)
        fail_msg("triplet %lld: |<u, u_dense>| = %.17g, |<v, v_dense>| = %.17g",
                 (long long)s + 1, du, dv);
    }
  }
  js_jacobian_options mixed;
  js_jacobian_options_init_defaults(&mixed);
  mixed.precision = JS_PRECISION_MIXED;
  js_linop *mixed_op = NULL;
  assert_int_equal(js_jacobian_create(net, data, &mixed, &mixed_op), JS_OK);
  opt.fast = js_jacobian_fast(mixed_op);
  js_svds_result *refined = NULL;
  assert_int_equal(js_svds(mixed_op, &opt, &refined), JS_OK);
  assert_true(refined->refined && refined->max_error_bound <= opt.tol);
  for (int64_t s = 0; s < 10; s++) {
    double error = fabs(refined->sigma[s] - dense->sigma[s]);
    if (!(error <= 1e-10 * dense->sigma[s] &&
          error <= refined->error_bound[s] * refined->sigma[s] +
                       4 * DBL_EPSILON * dense->sigma[0]))
      fail_msg("mixed sigma_%lld: %.17g, dense %.17g (bound %.3g)", (long long)s + 1,
               refined->sigma[s], dense->sigma[s], refined->error_bound[s]);
  }
  js_set_threads(0);
  js_svds_result_free(refined);
  js_svds_result_free(lanczos);
  js_svds_result_free(dense);
  js_linop_free(mixed_op);
  js_linop_free(op);
  js_dataset_free(data);
  js_net_free(net);
}

/* Guard triplets a mixed solve refines beside the r wanted (svds.c). */
#define GUARDS 3

/* The mixed result res against LAPACK and the double solve: values to tol
 * relative, each error bound at least the error (LAPACK's values, exact to
 * a few eps sigma_1, allowed that much), the bound tol met, the
 * refinement's products: (steps + 1) blocks of r + GUARDS on each side of
 * the double operator, and the Lanczos's on the fast one. */
static void check_mixed(const problem *pb, const js_svds_result *res,
                        const js_svds_result *exact, int64_t r, double tol, const char *what) {
  check_triplets(pb, res, r, tol, what);
  assert_true(res->refined);
  assert_true(res->converged);
  assert_true(res->max_error_bound <= tol);
  double worst = 0;
  for (int64_t s = 0; s < r; s++) {
    double error = fabs(res->sigma[s] - pb->s[s]);
    if (!(error <= res->error_bound[s] * res->sigma[s] + 4 * DBL_EPSILON * pb->s[0]))
      fail_msg("%s: sigma_%lld is %.3g off LAPACK's, beyond its bound %.3g", what,
               (long long)s + 1, error / pb->s[s], res->error_bound[s]);
    if (fabs(res->sigma[s] - exact->sigma[s]) > 2 * tol * exact->sigma[s])
      fail_msg("%s: sigma_%lld = %.17g, double Lanczos %.17g", what, (long long)s + 1,
               res->sigma[s], exact->sigma[s]);
    worst = fmax(worst, res->error_bound[s]);
  }
  assert_true(worst == res->max_error_bound);
  int64_t block = (res->refine_steps + 1) * (r + GUARDS);
  assert_int_equal(res->n_apply, block);
  assert_int_equal(res->n_apply_t, block);
  assert_true(res->n_fast_apply > r && res->n_fast_apply == res->n_fast_apply_t);
  assert_int_equal(exact->n_fast_apply, 0);
  assert_false(exact->refined);
  assert_true(isnan(exact->max_error_bound));
}

/* --precision mixed: a mixed-precision Jacobian's single twin for the
 * Lanczos (js_svds_options.fast), refined in double, on the Gram side
 * that auto picks (the outputs side for the wide net, the params side for
 * the narrow one) and the other, at the default tol and at 1e-12. */
static void mixed_against_lapack(const char *act, int64_t hidden) {
  static const int64_t ranks[] = {1, 10, 40};
  static const double tols[] = {1e-10, 1e-12};
  static const js_side sides[] = {JS_SIDE_AUTO, JS_SIDE_OUTPUTS, JS_SIDE_PARAMS};
  problem pb;
  problem_init(&pb, act, hidden, 0, "W1");
  js_jacobian_options mixed = pb.opt;
  mixed.precision = JS_PRECISION_MIXED;
  js_linop *op = NULL, *exact_op = NULL;
  assert_int_equal(js_jacobian_create(pb.net, &pb.data, &mixed, &op), JS_OK);
  assert_int_equal(js_jacobian_create(pb.net, &pb.data, &pb.opt, &exact_op), JS_OK);
  js_linop *fast = js_jacobian_fast(op);
  assert_non_null(fast);
  assert_null(js_jacobian_fast(exact_op));
  assert_null(js_jacobian_fast(fast));
  char what[128];
  for (int si = 0; si < 3; si++)
    for (int ti = 0; ti < 2; ti++)
      for (int ri = 0; ri < 3; ri++) {
        js_svds_options opt;
        js_svds_options_init_defaults(&opt);
        opt.top = ranks[ri];
        opt.tol = tols[ti];
        opt.side = sides[si];
        js_svds_result *res = NULL, *exact = NULL;
        assert_int_equal(js_svds(exact_op, &opt, &exact), JS_OK);
        opt.fast = fast;
        snprintf(what, sizeof what, "mixed, %s, side %d, tol %g, r %lld", act, (int)sides[si],
                 tols[ti], (long long)ranks[ri]);
        assert_int_equal(js_svds(op, &opt, &res), JS_OK);
        js_side side = sides[si] != JS_SIDE_AUTO ? sides[si]
                       : M <= pb.p              ? JS_SIDE_OUTPUTS
                                                : JS_SIDE_PARAMS;
        assert_int_equal(res->side, side);
        check_mixed(&pb, res, exact, ranks[ri], tols[ti], what);
        js_svds_result_free(res);
        js_svds_result_free(exact);
      }
  js_linop_free(op);
  js_linop_free(exact_op);
  problem_free(&pb);
}

/* p = 160 > nK = 90 and p = 64 < nK. */
static void test_mixed_wide(void **state) {
  (void)state;
  mixed_against_lapack("tanh", 20);
}

static void test_mixed_narrow(void **state) {
  (void)state;
  mixed_against_lapack("softplus", 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wide),
      cmocka_unit_test(test_narrow),
      cmocka_unit_test(test_all_layers),
      cmocka_unit_test(test_resnet20_against_dense),
      cmocka_unit_test(test_mixed_wide),
      cmocka_unit_test(test_mixed_narrow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

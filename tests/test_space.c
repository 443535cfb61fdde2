/* The information space against a dense SVD: every Table 1 metric, the
 * projection and the coefficients u_s^T z of js_space equal those computed
 * from LAPACK's dgesvd_ of the explicit J (built by the reference network,
 * not by the model code), for spaces from the dense and the Lanczos solver.
 *
 * Letters: m = nK rows, p columns, r the rank of I. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_op.h"
#include "dense_svd.h"
#include "reference_net.h"
#include "scratch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 10
#define DIM 5
#define HIDDEN 8
#define N_OUT 3
#define M (N_SAMPLES * N_OUT) /* 30 */
#define P (HIDDEN * DIM)      /* 40: W_1 trained */
#define MN M

typedef struct fixture {
  js_net *net;
  ref_mlp arch;
  double x[N_SAMPLES * DIM];
  js_dataset data;
  double jacobian[M * P]; /* explicit, row-major */
  double s[MN], u[M * MN], v[P * MN]; /* its SVD */
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  static const int64_t widths[] = {DIM, HIDDEN, N_OUT};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.widths = widths;
  if (!fx || js_net_create_mlp(&opt, &fx->net) || js_net_n_params(fx->net) != P)
    return -1;
  fx->arch = ref_mlp_of(&opt);
  ref_fill_normal(fx->x, N_SAMPLES * DIM, 5);
  fx->data = (js_dataset){.n_samples = N_SAMPLES, .dim = DIM, .n_outputs = N_OUT, .x = fx->x};
  ref_jacobian(&fx->arch, fx->net, fx->x, N_SAMPLES, fx->jacobian);
  if (dense_svd(fx->jacobian, M, P, fx->s, fx->u, fx->v))
    return -1;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  js_net_free(fx->net);
  free(fx);
  return 0;
}

/* The reference metrics of z for the top r triplets of the dense SVD, by
 * explicit vectors: Pi_I z, z - Pi_I z and J_I^+ z. */
static void reference(const fixture *fx, int64_t r, const double *z, double *coef,
                      double *projection, js_alignment *want) {
  double pinv[P] = {0}, nuisance[M];
  memset(projection, 0, sizeof(double) * M);
  for (int64_t s = 0; s < r; s++) {
    coef[s] = ref_dot(fx->u + s * M, z, M);
    for (int64_t i = 0; i < M; i++)
      projection[i] += coef[s] * fx->u[s * M + i];
    for (int64_t j = 0; j < P; j++)
      pinv[j] += coef[s] / fx->s[s] * fx->v[s * P + j];
  }
  for (int64_t i = 0; i < M; i++)
    nuisance[i] = z[i] - projection[i];
  double norm = sqrt(ref_dot(z, z, M));
  *want = (js_alignment){.norm = norm,
                         .info = sqrt(ref_dot(projection, projection, M)) / norm,
                         .nuisance = sqrt(ref_dot(nuisance, nuisance, M)) / norm,
                         .pinv = sqrt(ref_dot(pinv, pinv, P)) / norm};
}

/* Three vectors: one-hot labels, a residual f - y, a Gaussian. */
static void test_vectors(const fixture *fx, double z[3][M]) {
  double f[M];
  ref_forward(&fx->arch, fx->net, fx->x, N_SAMPLES, f);
  memset(z, 0, sizeof(double) * 3 * M);
  for (int64_t i = 0; i < N_SAMPLES; i++)
    z[0][i * N_OUT + i % N_OUT] = 1;
  for (int64_t i = 0; i < M; i++)
    z[1][i] = f[i] - z[0][i];
  ref_fill_normal(z[2], M, 17);
}

static void check_space(const fixture *fx, js_space *sp, int64_t r) {
  assert_int_equal(js_space_rank(sp), r);
  assert_int_equal(js_space_rows(sp), M);
  assert_int_equal(js_space_cols(sp), P);
  for (int64_t s = 0; s < r; s++)
    assert_true(fabs(js_space_singular_values(sp)[s] - fx->s[s]) <= 1e-10 * fx->s[0]);
  double z[3][M];
  test_vectors(fx, z);
  for (int k = 0; k < 3; k++) {
    double coef[MN], want_coef[MN], pz[M], want_pz[M];
    js_alignment got, want;
    assert_int_equal(js_space_align(sp, z[k], coef, &got), JS_OK);
    reference(fx, r, z[k], want_coef, want_pz, &want);
    assert_true(fabs(got.norm - want.norm) <= 1e-12 * want.norm);
    assert_true(fabs(got.info - want.info) <= 1e-10);
    assert_true(fabs(got.nuisance - want.nuisance) <= 1e-10);
    assert_true(fabs(got.pinv - want.pinv) <= 1e-10 * want.pinv);
    /* Singular vectors are defined up to sign. */
    for (int64_t s = 0; s < r; s++)
      assert_true(fabs(fabs(coef[s]) - fabs(want_coef[s])) <= 1e-10 * want.norm);
    assert_int_equal(js_space_project(sp, z[k], pz), JS_OK);
    assert_true(ref_relative_error(pz, want_pz, M) <= 1e-10);
    /* Without coefficients: the same metrics. */
    js_alignment again;
    assert_int_equal(js_space_align(sp, z[k], NULL, &again), JS_OK);
    assert_memory_equal(&again, &got, sizeof got);
  }
}

/* The top triplets of J from the dense solver (LAPACK on J e_j). */
static js_svds_result *dense_triplets(fixture *fx, int64_t top, int want_vectors) {
  js_linop *op = NULL;
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = top;
  opt.want_vectors = want_vectors;
  js_svds_result *res = NULL;
  assert_int_equal(js_jacobian_create(fx->net, &fx->data, NULL, &op), JS_OK);
  assert_int_equal(js_svds_dense(op, &opt, &res), JS_OK);
  js_linop_free(op);
  return res;
}

static void test_dense_solver(void **state) {
  fixture *fx = *state;
  js_space *sp = NULL;
  for (int64_t r = 1; r <= 25; r += 8) {
    js_svds_result *res = dense_triplets(fx, r, 1);
    assert_int_equal(js_space_create(res, r, 0, &sp), JS_OK);
    js_svds_result_free(res);
    check_space(fx, sp, r);
    js_space_free(sp);
  }
}

/* Lanczos vectors on the explicit matrix (dense_op), by rank and by cut-off. */
static void test_lanczos(void **state) {
  fixture *fx = *state;
  dense_op d = {.rows = M, .cols = P, .a = NULL};
  double *a = malloc(sizeof(double) * M * P);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < P; j++)
      a[i + j * M] = fx->jacobian[i * P + j];
  d.a = a;
  js_linop *op = NULL;
  assert_int_equal(dense_op_create(&d, &op), JS_OK);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 6;
  js_svds_result *res = NULL;
  js_space *sp = NULL;
  assert_int_equal(js_svds(op, &opt, &res), JS_OK);
  assert_int_equal(js_space_create(res, 6, 0, &sp), JS_OK);
  check_space(fx, sp, 6);
  js_space_free(sp);
  js_svds_result_free(res);

  /* Cut-off between lambda_4 and lambda_5: I = span(u_1..u_4). */
  opt.top = 0;
  opt.cutoff = 0.5 * (fx->s[3] + fx->s[4]);
  assert_int_equal(js_svds(op, &opt, &res), JS_OK);
  assert_int_equal(js_space_create(res, 0, opt.cutoff, &sp), JS_OK);
  check_space(fx, sp, 4);
  js_space_free(sp);
  js_svds_result_free(res);
  js_linop_free(op);
  free(a);
}

static void test_zero_vector(void **state) {
  fixture *fx = *state;
  js_svds_result *res = dense_triplets(fx, 3, 1);
  js_space *sp = NULL;
  assert_int_equal(js_space_create(res, 3, 0, &sp), JS_OK);
  double z[M] = {0};
  js_alignment got;
  assert_int_equal(js_space_align(sp, z, NULL, &got), JS_OK);
  assert_true(got.norm == 0 && got.info == 0 && got.nuisance == 0 && got.pinv == 0);
  z[4] = NAN;
  assert_failure(js_space_align(sp, z, NULL, &got), JS_ENUMERIC, "entry 4", NULL);
  js_space_free(sp);
  js_svds_result_free(res);
}

static void test_bad_arguments(void **state) {
  fixture *fx = *state;
  js_svds_result *res = dense_triplets(fx, 5, 1);
  js_space *sp = NULL;
  assert_failure(js_space_create(res, M, 0, &sp), JS_EINVAL, "min(nK, p) = 30", NULL);
  assert_failure(js_space_create(res, 6, 0, &sp), JS_EINVAL, "only 5", NULL);
  assert_failure(js_space_create(res, 0, 0, &sp), JS_EINVAL, "rank or a cut-off", NULL);
  assert_failure(js_space_create(res, 2, 0.5, &sp), JS_EINVAL, "rank or a cut-off", NULL);
  assert_failure(js_space_create(res, 0, res->sigma[0], &sp), JS_EINVAL, "below lambda_1",
                 NULL);
  assert_failure(js_space_create(res, 0, -1, &sp), JS_EINVAL, "rank or a cut-off", NULL);
  assert_null(sp);
  js_svds_result_free(res);
  res = dense_triplets(fx, 5, JS_VECTORS_NONE);
  assert_failure(js_space_create(res, 2, 0, &sp), JS_EINVAL, "want_vectors", NULL);
  js_svds_result_free(res);
  res = dense_triplets(fx, 5, JS_VECTORS_U); /* u alone: the space needs v too */
  assert_non_null(res->u);
  assert_null(res->v);
  assert_failure(js_space_create(res, 2, 0, &sp), JS_EINVAL, "JS_VECTORS_ALL", NULL);
  js_svds_result_free(res);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dense_solver),
      cmocka_unit_test(test_lanczos),
      cmocka_unit_test(test_zero_vector),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* The linear model of section 2.1: without noise X = U V^T has r singular
 * values equal to 1 and y = X w* lies in its column space; samples of one
 * task (another seed) share the row space span(V). js_lowrank_basis gives
 * the U, V and w* of the data (X = U V^T and y = X w* without noise), and
 * a noise seed of its own keeps that clean part while the noise changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_svd.h"
#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <stdlib.h>

#define N 12
#define D 20
#define R 3

static js_lowrank_options options(double sigma, uint64_t seed, uint64_t noise_seed) {
  js_lowrank_options opt;
  js_lowrank_options_init_defaults(&opt);
  opt.n_samples = N;
  opt.dim = D;
  opt.rank = R;
  opt.sigma_x = opt.sigma_y = sigma;
  opt.seed = seed;
  opt.noise_seed = noise_seed;
  return opt;
}

static js_dataset *lowrank_noise(double sigma, uint64_t seed, uint64_t noise_seed) {
  js_lowrank_options opt = options(sigma, seed, noise_seed);
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_lowrank(&opt, &data), JS_OK);
  assert_int_equal(data->n_outputs, 1);
  assert_null(data->labels);
  return data;
}

static js_dataset *lowrank(double sigma, uint64_t seed) {
  return lowrank_noise(sigma, seed, 0);
}

/* ||z - Q Q^T z|| for the first k columns of q (m x k, column after column). */
static double outside(const double *q, int64_t m, int64_t k, const double *z) {
  double rest[D > N ? D : N];
  for (int64_t i = 0; i < m; i++)
    rest[i] = z[i];
  for (int64_t s = 0; s < k; s++) {
    double c = 0;
    for (int64_t i = 0; i < m; i++)
      c += q[s * m + i] * z[i];
    for (int64_t i = 0; i < m; i++)
      rest[i] -= c * q[s * m + i];
  }
  double sum = 0;
  for (int64_t i = 0; i < m; i++)
    sum += rest[i] * rest[i];
  return sqrt(sum);
}

static void test_noiseless_structure(void **state) {
  (void)state;
  js_dataset *train = lowrank(0, 1), *test = lowrank(0, 2);
  double s[N], u[N * N], v[D * N];
  assert_int_equal(dense_svd(train->x, N, D, s, u, v), 0);
  for (int k = 0; k < R; k++)
    assert_true(fabs(s[k] - 1) <= 1e-12);
  assert_true(s[R] <= 1e-12);
  assert_true(outside(u, N, R, train->y) <= 1e-12);
  for (int64_t i = 0; i < N; i++) /* test rows in the training row space */
    assert_true(outside(v, D, R, test->x + i * D) <= 1e-12);
  js_dataset_free(train);
  js_dataset_free(test);
}

/* Noise N(0, sigma^2 / n) per entry: ||Z||_F^2 ~ sigma^2 d, so the noisy X
 * is full rank and its energy beyond r is about sigma^2 d. */
static void test_noise_scale(void **state) {
  (void)state;
  js_dataset *clean = lowrank(0, 1), *noisy = lowrank(1, 1);
  double z2 = 0;
  for (int64_t i = 0; i < N * D; i++)
    z2 += (noisy->x[i] - clean->x[i]) * (noisy->x[i] - clean->x[i]);
  assert_true(z2 > 0.5 * D && z2 < 1.5 * D);
  js_dataset_free(clean);
  js_dataset_free(noisy);
}

/* Mean square of (x - U V^T, y - X w*) entries, U, V, w* from the basis. */
static void residual_of_basis(const js_dataset *data, const double *u, const double *v,
                              const double *w, double *x2, double *y2) {
  *x2 = *y2 = 0;
  for (int64_t i = 0; i < N; i++) {
    double clean_y = 0;
    for (int64_t j = 0; j < D; j++) {
      double clean = 0;
      for (int64_t s = 0; s < R; s++)
        clean += u[s * N + i] * v[s * D + j];
      clean_y += clean * w[j];
      *x2 += (data->x[i * D + j] - clean) * (data->x[i * D + j] - clean) / (N * D);
    }
    *y2 += (data->y[i] - clean_y) * (data->y[i] - clean_y) / N;
  }
}

static void test_basis_and_noise_seed(void **state) {
  (void)state;
  js_lowrank_options opt = options(0, 4, 0);
  double u[N * R], v[D * R], w[D], x2, y2;
  assert_int_equal(js_lowrank_basis(&opt, u, v, w), JS_OK);
  for (int a = 0; a < R; a++) /* U and V orthonormal */
    for (int b = 0; b < R; b++) {
      double uu = 0, vv = 0;
      for (int64_t i = 0; i < N; i++)
        uu += u[a * N + i] * u[b * N + i];
      for (int64_t j = 0; j < D; j++)
        vv += v[a * D + j] * v[b * D + j];
      assert_true(fabs(uu - (a == b)) <= 1e-13 && fabs(vv - (a == b)) <= 1e-13);
    }
  js_dataset *clean = lowrank_noise(0, 4, 0), *one = lowrank_noise(1, 4, 1),
             *two = lowrank_noise(1, 4, 2);
  residual_of_basis(clean, u, v, w, &x2, &y2);
  assert_true(x2 <= 1e-28 && y2 <= 1e-28);
  /* New noise, the same clean part: entries N(0, 1 / n) around it. */
  residual_of_basis(one, u, v, w, &x2, &y2);
  assert_true(x2 > 0.7 / N && x2 < 1.3 / N && y2 > 0.1 / N && y2 < 3.0 / N);
  double differ = 0;
  for (int64_t i = 0; i < N * D; i++)
    differ += fabs(one->x[i] - two->x[i]);
  assert_true(differ > 0);
  assert_int_equal(js_lowrank_basis(&opt, NULL, NULL, NULL), JS_OK);
  opt.rank = 0;
  assert_failure(js_lowrank_basis(&opt, u, v, w), JS_EINVAL, "rank", NULL);
  js_dataset_free(clean);
  js_dataset_free(one);
  js_dataset_free(two);
}

static void test_bad_options(void **state) {
  (void)state;
  js_lowrank_options opt;
  js_lowrank_options_init_defaults(&opt);
  js_dataset *data = NULL;
  opt.rank = opt.n_samples + 1;
  assert_failure(js_dataset_lowrank(&opt, &data), JS_EINVAL, "rank", NULL);
  js_lowrank_options_init_defaults(&opt);
  opt.sigma_x = -1;
  assert_failure(js_dataset_lowrank(&opt, &data), JS_EINVAL, "sigma_x", NULL);
  assert_null(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_noiseless_structure),
      cmocka_unit_test(test_noise_scale),
      cmocka_unit_test(test_basis_and_noise_seed),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

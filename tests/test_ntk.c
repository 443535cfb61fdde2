/* The analytic kernel of Definition 3.1 against independent computations:
 * the closed forms against Sheppard's orthant formula in its arcsine form,
 * the quadrature kernels against Monte Carlo over w (within 5 standard
 * errors), the matrix-free kernel against the dense one, its eigenvalues
 * and y^T Sigma~^{-1} y against LAPACK's dgesvd_ of the explicit kernel, and
 * the empirical kernel K / nu^2 J J^T of the paper's network approaching
 * Sigma(X) at the rate 1 / sqrt(k). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rng.h"
#include "dense_svd.h"
#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

/* n unit-norm rows of dimension d, Gaussian directions. */
static double *unit_rows(int64_t n, int64_t d, uint64_t seed) {
  js_rng rng;
  js_rng_seed(&rng, seed);
  double *x = malloc(sizeof(double) * (size_t)(n * d));
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t j = 0; j < d; j++) {
      x[i * d + j] = js_rng_normal(&rng);
      s += x[i * d + j] * x[i * d + j];
    }
    for (int64_t j = 0; j < d; j++)
      x[i * d + j] /= sqrt(s);
  }
  return x;
}

static double dot(const double *a, const double *b, int64_t d) {
  double s = 0;
  for (int64_t j = 0; j < d; j++)
    s += a[j] * b[j];
  return s;
}

static double *dense_kernel(const double *x, int64_t n, int64_t d, js_activation act) {
  js_ntk *k = NULL;
  assert_int_equal(js_ntk_create(x, n, d, act, NULL, &k), JS_OK);
  assert_true(js_ntk_is_dense(k));
  double *m = malloc(sizeof(double) * (size_t)(n * n));
  assert_int_equal(js_ntk_rows(k, 0, n, m), JS_OK);
  js_ntk_free(k);
  return m;
}

/* relu, leaky, linear, quadratic: with inputs of norms 1 and 2 (the
 * kernel depends on them through x_i^T x_j only). P(u > 0, v > 0) =
 * 1/4 + arcsin(rho) / (2 pi) (Sheppard); leaky's phi' = s + (1 - s) 1[z > 0]
 * gives E = s^2 + s (1 - s) + (1 - s)^2 P(u > 0, v > 0). */
static void test_closed_forms(void **state) {
  (void)state;
  int64_t n = 6, d = 4;
  double *x = unit_rows(n, d, 3);
  for (int64_t j = 0; j < d; j++)
    x[2 * d + j] *= 2.0;
  js_activation acts[] = {{JS_ACT_RELU, 0}, {JS_ACT_LEAKY, 0.2}, {JS_ACT_LINEAR, 0},
                          {JS_ACT_QUADRATIC, 0}};
  for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
    double *m = dense_kernel(x, n, d, acts[a]);
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) {
        double g = dot(x + i * d, x + j * d, d);
        double rho = g / sqrt(dot(x + i * d, x + i * d, d) * dot(x + j * d, x + j * d, d));
        rho = fmax(-1.0, fmin(1.0, rho));
        double pp = 0.25 + asin(rho) / (2 * PI), s = acts[a].slope, e;
        switch (acts[a].kind) {
        case JS_ACT_RELU: e = pp; break;
        case JS_ACT_LEAKY: e = s * s + s * (1 - s) + (1 - s) * (1 - s) * pp; break;
        case JS_ACT_LINEAR: e = 1; break;
        default: e = g; break; /* quadratic: E[u v] */
        }
        assert_true(fabs(m[i * n + j] - e * g) <= 1e-14 * (1 + fabs(e * g)));
      }
    free(m);
  }
  free(x);
}

/* softplus, tanh, sigmoid: quadrature against the Monte-Carlo mean of
 * phi'(x_i^T w) phi'(x_j^T w) x_i^T x_j over 200000 draws of w, within 5
 * of its standard errors. */
static void test_quadrature_vs_monte_carlo(void **state) {
  (void)state;
  int64_t n = 4, d = 3, draws = 200000;
  double *x = unit_rows(n, d, 5);
  for (int64_t j = 0; j < d; j++)
    x[d + j] *= 1.5; /* a norm other than 1 */
  js_activation acts[] = {{JS_ACT_SOFTPLUS, 0}, {JS_ACT_TANH, 0}, {JS_ACT_SIGMOID, 0}};
  for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
    double *m = dense_kernel(x, n, d, acts[a]);
    double mc[16] = {0}, mc2[16] = {0}, row[4];
    js_rng rng;
    js_rng_seed(&rng, 11 + a);
    for (int64_t t = 0; t < draws; t++) {
      double w[3] = {js_rng_normal(&rng), js_rng_normal(&rng), js_rng_normal(&rng)};
      for (int64_t i = 0; i < n; i++) {
        double z = dot(x + i * d, w, d);
        double sg = 1.0 / (1.0 + exp(-z)), th = tanh(z);
        row[i] = acts[a].kind == JS_ACT_SOFTPLUS ? sg
                 : acts[a].kind == JS_ACT_TANH   ? 1 - th * th
                                                 : sg * (1 - sg);
      }
      for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
          double v = row[i] * row[j] * dot(x + i * d, x + j * d, d);
          mc[i * n + j] += v;
          mc2[i * n + j] += v * v;
        }
    }
    for (int64_t e = 0; e < n * n; e++) {
      double mean = mc[e] / draws, var = mc2[e] / draws - mean * mean;
      double se = sqrt(fmax(var, 0) / draws);
      assert_true(fabs(m[e] - mean) <= 5 * se + 1e-12);
    }
    free(m);
  }
  free(x);
}

/* The matrix-free kernel (dense_limit 0): its rows and products equal the
 * dense kernel's; its top and smallest eigenvalues (Lanczos, and Lanczos
 * on lambda_1 I - Sigma~) and the dense ones (dsyevr) equal the singular
 * values of dgesvd_ on the explicit kernel. */
static void test_eigenvalues(void **state) {
  (void)state;
  int64_t n = 24, d = 12;
  double *x = unit_rows(n, d, 7);
  js_activation act = {JS_ACT_SOFTPLUS, 0};
  double *m = dense_kernel(x, n, d, act);
  double *s = malloc(sizeof(double) * (size_t)n), *u = malloc(sizeof(double) * (size_t)(n * n)),
         *v = malloc(sizeof(double) * (size_t)(n * n));
  assert_int_equal(dense_svd(m, n, n, s, u, v), 0);
  js_ntk_options opt;
  js_ntk_options_init_defaults(&opt);
  opt.dense_limit = 0;
  js_ntk *free_k = NULL, *dense_k = NULL;
  assert_int_equal(js_ntk_create(x, n, d, act, &opt, &free_k), JS_OK);
  assert_int_equal(js_ntk_create(x, n, d, act, NULL, &dense_k), JS_OK);
  assert_false(js_ntk_is_dense(free_k));
  double rows[24 * 24], prod[24 * 2], e[24 * 2] = {0};
  assert_int_equal(js_ntk_rows(free_k, 0, n, rows), JS_OK);
  for (int64_t i = 0; i < n * n; i++)
    assert_true(fabs(rows[i] - m[i]) <= 1e-14);
  e[3] = 1, e[n + 17] = 1;
  assert_int_equal(js_linop_apply(js_ntk_operator(free_k), 2, e, prod), JS_OK);
  for (int64_t i = 0; i < n; i++)
    assert_true(fabs(prod[i] - m[i * n + 3]) <= 1e-14 &&
                fabs(prod[n + i] - m[i * n + 17]) <= 1e-14);
  js_ntk *kernels[2] = {free_k, dense_k};
  for (int k = 0; k < 2; k++) {
    double top[3], low[2];
    assert_int_equal(js_ntk_eigenvalues(kernels[k], 3, 2, top, low), JS_OK);
    for (int i = 0; i < 3; i++)
      assert_true(fabs(top[i] - s[i]) <= 1e-9 * s[0]);
    for (int i = 0; i < 2; i++)
      assert_true(fabs(low[i] - s[n - 1 - i]) <= 1e-8 * s[0]);
  }
  assert_failure(js_ntk_eigenvalues(free_k, n, 0, rows, NULL), JS_EINVAL, "matrix-free",
                 NULL);
  js_ntk_free(free_k);
  js_ntk_free(dense_k);
  free(m);
  free(s);
  free(u);
  free(v);
  free(x);
}

/* y^T Sigma(X)^{-1} y by conjugate gradients = sum_l sum_s (u_s^T y_l)^2 /
 * s_s from the SVD of the explicit kernel (symmetric positive definite:
 * u_s = v_s). */
static void test_quadratic_form(void **state) {
  (void)state;
  int64_t n = 20, d = 16, K = 2;
  double *x = unit_rows(n, d, 9);
  js_activation act = {JS_ACT_TANH, 0};
  double *m = dense_kernel(x, n, d, act);
  double s[20], u[400], v[400], y[40];
  assert_int_equal(dense_svd(m, n, n, s, u, v), 0);
  for (int64_t i = 0; i < n; i++)
    for (int64_t l = 0; l < K; l++)
      y[i * K + l] = (i % 3 == (int64_t)l) ? 1.0 : 0.0;
  double expected = 0;
  for (int64_t l = 0; l < K; l++)
    for (int64_t t = 0; t < n; t++) {
      double c = 0;
      for (int64_t i = 0; i < n; i++)
        c += u[t * n + i] * y[i * K + l];
      expected += c * c / s[t];
    }
  js_ntk *k = NULL;
  assert_int_equal(js_ntk_create(x, n, d, act, NULL, &k), JS_OK);
  double value;
  int64_t iterations;
  assert_int_equal(js_ntk_quadratic_form(k, y, K, &value, &iterations), JS_OK);
  assert_true(fabs(value - expected) <= 1e-7 * expected);
  assert_true(iterations >= 1 && iterations <= 10 * n);
  js_ntk_free(k);
  free(m);
  free(x);
}

/* ||K / nu^2 J J^T - Sigma(X)||_F / ||Sigma(X)||_F for the paper's network
 * at widths k and 16 k, averaged over seeds: the distance shrinks by
 * sqrt(16) = 4 (accepted: 2.5 to 6.5). nu = 2 checks the K / nu^2 factor. */
static double mean_distance(js_ntk *k, const double *x, int64_t n, int64_t d, int64_t K,
                            int64_t width) {
  js_dataset data = {.n_samples = n, .dim = d, .shape = {1, {d, 0, 0}}, .n_outputs = K,
                     .x = (double *)x};
  double sum = 0;
  int seeds = 6;
  for (int seed = 1; seed <= seeds; seed++) {
    int64_t widths[3] = {d, width, K};
    js_mlp_options opt;
    js_mlp_options_init_defaults(&opt);
    opt.n_layers = 2;
    opt.widths = widths;
    opt.nu = 2.0;
    opt.seed = (uint64_t)seed;
    js_net *net = NULL;
    js_linop *jac = NULL;
    double dist;
    assert_int_equal(js_net_create_mlp(&opt, &net), JS_OK);
    assert_int_equal(js_jacobian_create(net, &data, NULL, &jac), JS_OK);
    assert_int_equal(js_ntk_empirical_distance(k, jac, 2.0, &dist), JS_OK);
    sum += dist;
    js_linop_free(jac);
    js_net_free(net);
  }
  return sum / seeds;
}

static void test_empirical_convergence(void **state) {
  (void)state;
  int64_t n = 12, d = 6, K = 2;
  double *x = unit_rows(n, d, 13);
  js_ntk *k = NULL;
  assert_int_equal(js_ntk_create(x, n, d, (js_activation){JS_ACT_SOFTPLUS, 0}, NULL, &k),
                   JS_OK);
  double narrow = mean_distance(k, x, n, d, K, 64);
  double wide = mean_distance(k, x, n, d, K, 1024);
  print_message("empirical kernel: distance %.4g at k = 64, %.4g at k = 1024, ratio %.3g\n",
                narrow, wide, narrow / wide);
  assert_true(narrow / wide > 2.5 && narrow / wide < 6.5);
  assert_true(wide < 0.1);
  js_ntk_free(k);
  free(x);
}

static void test_bad_arguments(void **state) {
  (void)state;
  double x[4] = {1, 0, 0, 1};
  js_ntk *k = NULL;
  js_ntk_options opt;
  js_ntk_options_init_defaults(&opt);
  opt.nodes = 1;
  assert_failure(js_ntk_create(x, 2, 2, (js_activation){JS_ACT_TANH, 0}, &opt, &k),
                 JS_EINVAL, "nodes", NULL);
  assert_failure(js_ntk_create(x, 0, 2, (js_activation){JS_ACT_TANH, 0}, NULL, &k),
                 JS_EINVAL, "n = 0", NULL);
  assert_int_equal(js_ntk_create(x, 2, 2, (js_activation){JS_ACT_RELU, 0}, NULL, &k), JS_OK);
  double top[3];
  assert_failure(js_ntk_eigenvalues(k, 3, 0, top, NULL), JS_EINVAL, "top", NULL);
  js_ntk_free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_closed_forms),
      cmocka_unit_test(test_quadrature_vs_monte_carlo),
      cmocka_unit_test(test_eigenvalues),
      cmocka_unit_test(test_quadratic_form),
      cmocka_unit_test(test_empirical_convergence),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

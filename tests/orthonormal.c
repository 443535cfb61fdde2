#include "orthonormal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);

double *orthonormal(int m, int k, js_rng *rng) {
  double *q = calloc((size_t)m * (size_t)k, sizeof(double));
  int lwork = 64 * k, info;
  double *tau = calloc((size_t)k, sizeof(double));
  double *work = calloc((size_t)lwork, sizeof(double));
  assert_non_null(q);
  assert_non_null(tau);
  assert_non_null(work);
  for (int64_t i = 0; i < (int64_t)m * k; i++)
    q[i] = js_rng_normal(rng);
  dgeqrf_(&m, &k, q, &m, tau, work, &lwork, &info);
  assert_int_equal(info, 0);
  dorgqr_(&m, &k, &k, q, &m, tau, work, &lwork, &info);
  assert_int_equal(info, 0);
  free(tau);
  free(work);
  return q;
}

double *with_spectrum(int64_t rows, int64_t cols, double (*spectrum)(int64_t k), js_rng *rng) {
  int64_t mn = rows < cols ? rows : cols;
  double *u = orthonormal((int)rows, (int)mn, rng), *v = orthonormal((int)cols, (int)mn, rng);
  double *a = calloc((size_t)(rows * cols), sizeof(double));
  for (int64_t k = 0; a && k < mn; k++)
    for (int64_t j = 0; j < cols; j++)
      for (int64_t i = 0; i < rows; i++)
        a[i + j * rows] += u[i + k * rows] * spectrum(k) * v[j + k * cols];
  free(u);
  free(v);
  return a;
}

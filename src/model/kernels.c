#include "model/kernels.h"

#include "core/blas.h"
#include "model/activation.h"

#include <string.h>

static void gemm_d(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                   const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
                   void *c, int64_t ldc) {
  js_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void gemm_s(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                   const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
                   void *c, int64_t ldc) {
  js_sgemm(trans_a, trans_b, m, n, k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
}

static void forward_d(js_activation act, void *h, const void *z, int64_t n) {
  js_activation_forward(act, h, z, n);
}
static void forward_s(js_activation act, void *h, const void *z, int64_t n) {
  js_activation_forward_f(act, h, z, n);
}
static void derivative_d(js_activation act, void *dphi, const void *z, int64_t n) {
  js_activation_derivative(act, dphi, z, n);
}
static void derivative_s(js_activation act, void *dphi, const void *z, int64_t n) {
  js_activation_derivative_f(act, dphi, z, n);
}
static void scale_d(void *t, const void *dphi, int64_t size, int64_t n_vectors) {
  js_activation_scale_block(t, dphi, size, n_vectors);
}
static void scale_s(void *t, const void *dphi, int64_t size, int64_t n_vectors) {
  js_activation_scale_block_f(t, dphi, size, n_vectors);
}

static void scale_add_d(void *acc, const void *t, const void *dphi, int64_t size,
                        int64_t n_vectors) {
  js_activation_scale_add_block(acc, t, dphi, size, n_vectors);
}
static void scale_add_s(void *acc, const void *t, const void *dphi, int64_t size,
                        int64_t n_vectors) {
  js_activation_scale_add_block_f(acc, t, dphi, size, n_vectors);
}

static void axpy_d(int64_t n, double alpha, const void *x, void *y) {
  js_axpy(n, alpha, x, y);
}
static void axpy_s(int64_t n, double alpha, const void *x, void *y) {
  const float *xf = x;
  float *yf = y;
  float a = (float)alpha;
  for (int64_t i = 0; i < n; i++)
    yf[i] += a * xf[i];
}

static void copy_d(void *dst, const double *src, int64_t n) {
  memcpy(dst, src, sizeof(double) * (size_t)n);
}
static void copy_back_d(double *dst, const void *src, int64_t n) {
  memcpy(dst, src, sizeof(double) * (size_t)n);
}
static void narrow(void *dst, const double *src, int64_t n) {
  float *f = dst;
  for (int64_t i = 0; i < n; i++)
    f[i] = (float)src[i];
}
static void widen(double *dst, const void *src, int64_t n) {
  const float *f = src;
  for (int64_t i = 0; i < n; i++)
    dst[i] = f[i];
}

static const js_kernels double_kernels = {JS_PRECISION_DOUBLE, sizeof(double), gemm_d, forward_d, derivative_d,
                                          scale_d, scale_add_d, axpy_d, copy_d, copy_back_d};
static const js_kernels single_kernels = {JS_PRECISION_SINGLE, sizeof(float), gemm_s, forward_s, derivative_s,
                                          scale_s, scale_add_s, axpy_s, narrow, widen};

const js_kernels *js_kernels_of(js_precision precision) {
  return precision == JS_PRECISION_SINGLE ? &single_kernels : &double_kernels;
}

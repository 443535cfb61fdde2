#include "core/blas.h"

#include <blis.h>

/* GEMMs below this many multiply-adds (a few tens of microseconds) run on
 * one thread: waking and joining BLIS's OpenMP team costs more than they
 * do, and with several processes on the cores (parallel tests, small
 * batches under a tight --mem) the spinning team makes them far slower. */
#define SMALL_GEMM 1000000

/* The runtime for one call: BLIS's global thread count, or one thread. */
static rntm_t *runtime(rntm_t *rntm, int64_t m, int64_t n, int64_t k) {
  if ((double)m * (double)n * (double)k >= SMALL_GEMM)
    return NULL;
  bli_rntm_set_num_threads(1, rntm);
  return rntm;
}

void js_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
             double alpha, const double *a, int64_t lda, const double *b,
             int64_t ldb, double beta, double *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  /* Row-major storage: element (i, j) of A at a[i*lda + j], so rs = lda and
   * cs = 1; transposition is left to BLIS through trans_t. */
  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_dgemm_ex(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
               trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha,
               (double *)a, lda, 1, (double *)b, ldb, 1, &beta, c, ldc, 1, NULL,
               runtime(&rntm, m, n, k));
}

void js_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float *a, int64_t lda, const float *b,
              int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_sgemm_ex(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
               trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha,
               (float *)a, lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1, NULL,
               runtime(&rntm, m, n, k));
}

void js_gemv(int trans, int64_t m, int64_t n, double alpha, const double *a, int64_t rs,
             int64_t cs, const double *x, double beta, double *y) {
  if (m == 0 || n == 0) { /* an empty product: y = beta y */
    js_scal(trans ? n : m, beta, y);
    return;
  }
  bli_dgemv(trans ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, m, n, &alpha,
            (double *)a, rs, cs, (double *)x, 1, &beta, y, 1);
}

void js_symv(int64_t n, double alpha, const double *a, int64_t lda, const double *x,
             double beta, double *y) {
  bli_dsymv(BLIS_LOWER, BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, n, &alpha, (double *)a, lda, 1,
            (double *)x, 1, &beta, y, 1);
}

double js_dot(int64_t n, const double *x, const double *y) {
  double rho;
  bli_ddotv(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, n, (double *)x, 1,
            (double *)y, 1, &rho);
  return rho;
}

double js_nrm2(int64_t n, const double *x) {
  double norm;
  bli_dnormfv(n, (double *)x, 1, &norm);
  return norm;
}

void js_axpy(int64_t n, double alpha, const double *x, double *y) {
  bli_daxpyv(BLIS_NO_CONJUGATE, n, &alpha, (double *)x, 1, y, 1);
}

void js_scal(int64_t n, double alpha, double *x) {
  bli_dscalv(BLIS_NO_CONJUGATE, n, &alpha, x, 1);
}

void js_blas_set_threads(int n_threads) {
  if (n_threads > 0)
    bli_thread_set_num_threads(n_threads);
}

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

/* Columns of a panel of js_symm's A (measured on the development machine,
 * n = 9000: 512 was the fastest of 256, 512 and 1024 for 16 to 64 vectors,
 * 3.4 times js_symv's speed a vector at b = 32). */
#define SYMM_TILE 512
/* Below this many vectors the GEMMs on tiles were no faster a vector than
 * js_symv (at 8: 33 ms a vector both ways, n = 9000). */
#define SYMM_BLOCK 16

void js_symm(int64_t n, int64_t b, const double *a, int64_t lda, const double *x, double *y) {
  if (b < SYMM_BLOCK) {
    for (int64_t j = 0; j < b; j++)
      js_symv(n, 1.0, a, lda, x + j * n, 0.0, y + j * n);
    return;
  }
  double one = 1.0, zero = 0.0;
  for (int64_t j0 = 0; j0 < n; j0 += SYMM_TILE) {
    int64_t width = n - j0 < SYMM_TILE ? n - j0 : SYMM_TILE, below = n - j0 - width;
    const double *diagonal = a + j0 * lda + j0, *panel = diagonal + width * lda;
    /* The diagonal tile: Y[j0..] += A[j0.., j0..] X[j0..] (= for the
     * first, whose rows no panel above has written) ... */
    bli_dsymm(BLIS_LEFT, BLIS_LOWER, BLIS_NO_CONJUGATE, BLIS_NO_TRANSPOSE, width, b, &one,
              (double *)diagonal, lda, 1, (double *)x + j0, 1, n, j0 == 0 ? &zero : &one,
              y + j0, 1, n);
    if (below == 0)
      continue;
    /* ... then the panel P = A[j0 + width.., j0..] below it serves twice:
     * Y[j0..] += P^T X[below] and Y[below] += P X[j0..] (= for the first
     * panel, the first to write those rows). */
    bli_dgemm(BLIS_TRANSPOSE, BLIS_NO_TRANSPOSE, width, b, below, &one, (double *)panel, lda,
              1, (double *)x + j0 + width, 1, n, &one, y + j0, 1, n);
    bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, below, b, width, &one, (double *)panel,
              lda, 1, (double *)x + j0, 1, n, j0 == 0 ? &zero : &one, y + j0 + width, 1, n);
  }
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

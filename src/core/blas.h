/* The one place that calls BLIS. Matrices are row-major with a leading
 * dimension (row stride); BLIS's typed API takes both strides, so
 * transposed operands need no copies. */
#ifndef JS_CORE_BLAS_H
#define JS_CORE_BLAS_H

#include <stdint.h>

/* C = alpha op(A) op(B) + beta C, row-major. op(A) is m x k, op(B) is k x n.
 * trans_a != 0 means A is stored k x m and used transposed. */
void js_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
             double alpha, const double *a, int64_t lda, const double *b,
             int64_t ldb, double beta, double *c, int64_t ldc);
/* The same in float (single-precision products). */
void js_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k,
              float alpha, const float *a, int64_t lda, const float *b,
              int64_t ldb, float beta, float *c, int64_t ldc);
/* y = alpha op(A) x + beta y for A of m x n with explicit row and column
 * strides (rs, cs), so a column-major block of vectors (rs = 1, cs = its
 * length) is used as it is; trans != 0 uses A^T (x of m, y of n). */
void js_gemv(int trans, int64_t m, int64_t n, double alpha, const double *a, int64_t rs,
             int64_t cs, const double *x, double beta, double *y);
/* y = alpha A x + beta y for a symmetric n x n A of which only the lower
 * triangle (row-major, leading dimension lda) is stored and read. */
void js_symv(int64_t n, double alpha, const double *a, int64_t lda, const double *x,
             double beta, double *y);
/* Y = A X for the same A and a block of b vectors (X and Y are n x b with
 * vector j at x + j n): from 16 vectors on, one pass over A's triangle for
 * all of them by GEMMs on its tiles, where b calls of js_symv would read it
 * b times (fewer vectors: js_symv for each). */
void js_symm(int64_t n, int64_t b, const double *a, int64_t lda, const double *x, double *y);
double js_dot(int64_t n, const double *x, const double *y);
double js_nrm2(int64_t n, const double *x);
void js_axpy(int64_t n, double alpha, const double *x, double *y);
void js_scal(int64_t n, double alpha, double *x);
/* Number of threads BLIS uses in its kernels (<= 0: leave as configured). */
void js_blas_set_threads(int n_threads);

#endif

#include "solve/orth.h"

#include "core/blas.h"
#include "core/comm.h"

#include <math.h>
#include <string.h>

void js_orthogonalise(const js_comm *comm, int64_t n, int64_t k, const double *q, double *w,
                      double *coef, double *h) {
  memset(coef, 0, sizeof(double) * (size_t)k);
  for (int pass = 0; pass < 2; pass++) {
    js_gemv(1, n, k, 1.0, q, 1, n, w, 0.0, h); /* h = Q^T w (this rank's rows) */
    if (k > 0 && js_comm_sum(comm, h, k))
      for (int64_t i = 0; i < k; i++)
        h[i] = NAN;
    js_gemv(0, n, k, -1.0, q, 1, n, h, 1.0, w); /* w -= Q h */
    js_axpy(k, 1.0, h, coef);
  }
}

void js_rotate_basis(double *basis, int64_t len, int64_t k, const double *sel, int64_t count,
                     double *scratch) {
  for (int64_t i0 = 0; i0 < len; i0 += JS_ROTATE_ROWS) {
    int64_t rows = len - i0 < JS_ROTATE_ROWS ? len - i0 : JS_ROTATE_ROWS;
    /* Row-major view: basis^T is k x len, so rows i0.. of the basis are a
     * column block of it; scratch (count x rows) = sel^T (basis rows)^T. */
    js_gemm(0, 0, count, rows, k, 1.0, sel, k, basis + i0, len, 0.0, scratch, rows);
    for (int64_t t = 0; t < count; t++)
      memcpy(basis + t * len + i0, scratch + t * rows, sizeof(double) * (size_t)rows);
  }
}

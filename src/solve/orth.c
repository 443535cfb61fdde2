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

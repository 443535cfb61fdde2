/* Plain loops on purpose: the products the solver is checked with must not
 * go through the BLIS wrapper the solver itself uses. */
#include "dense_op.h"

static int dense_apply(void *ctx, int transpose, int64_t n_vectors,
                       const double *in, double *out) {
  dense_op *d = ctx;
  int64_t rows = d->rows, cols = d->cols;
  for (int64_t b = 0; b < n_vectors; b++) {
    if (transpose) { /* out (cols) = A^T in (rows) */
      const double *x = in + b * rows;
      for (int64_t j = 0; j < cols; j++) {
        double sum = 0;
        for (int64_t i = 0; i < rows; i++)
          sum += d->a[i + j * rows] * x[i];
        out[b * cols + j] = sum;
      }
    } else { /* out (rows) = A in (cols) */
      double *y = out + b * rows;
      for (int64_t i = 0; i < rows; i++)
        y[i] = 0;
      for (int64_t j = 0; j < cols; j++)
        for (int64_t i = 0; i < rows; i++)
          y[i] += d->a[i + j * rows] * in[b * cols + j];
    }
  }
  if (transpose)
    d->n_apply_t += n_vectors;
  else
    d->n_apply += n_vectors;
  return JS_OK;
}

int dense_op_create(dense_op *d, js_linop **out) {
  d->n_apply = 0;
  d->n_apply_t = 0;
  return js_linop_create(d->rows, d->cols, dense_apply, d, out);
}

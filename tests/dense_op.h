/* Test helper: an explicit column-major matrix wrapped as a js_linop, with
 * its own product counters, so solver tests need no network code. */
#ifndef JS_TESTS_DENSE_OP_H
#define JS_TESTS_DENSE_OP_H

#include "jacspec.h"

typedef struct dense_op {
  int64_t rows, cols;
  const double *a;            /* rows x cols, entry (i, j) at a[i + j*rows] */
  int64_t n_apply, n_apply_t; /* vectors multiplied, counted here */
} dense_op;

/* An operator applying d->a (borrowed: d and d->a must outlive it). */
int dense_op_create(dense_op *d, js_linop **out);

#endif

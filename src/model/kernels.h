/* The element type the products compute in (js_precision) and its kernels.
 * The product pipeline (exec.c and the ops) is written once over
 * untyped buffers and calls these, so double and single precision share
 * every line of it; only the GEMM, the elementwise loops and the
 * conversions at the public (double) boundary differ. */
#ifndef JS_MODEL_KERNELS_H
#define JS_MODEL_KERNELS_H

#include "jacspec.h"

#include <stddef.h>

typedef struct js_kernels {
  js_precision precision;
  size_t size; /* bytes of one element */
  /* C = alpha op(A) op(B) + beta C, row-major (as js_gemm). */
  void (*gemm)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
               const void *a, int64_t lda, const void *b, int64_t ldb, double beta,
               void *c, int64_t ldc);
  /* The activation loops of activation.h. */
  void (*act_forward)(js_activation act, void *h, const void *z, int64_t n);
  void (*act_derivative)(js_activation act, void *dphi, const void *z, int64_t n);
  void (*scale_block)(void *t, const void *dphi, int64_t size, int64_t n_vectors);
  void (*scale_add_block)(void *acc, const void *t, const void *dphi, int64_t size,
                          int64_t n_vectors);
  /* y += alpha x for n elements. */
  void (*axpy)(int64_t n, double alpha, const void *x, void *y);
  /* dst = src for n elements, converting at the double boundary. */
  void (*from_double)(void *dst, const double *src, int64_t n);
  void (*to_double)(double *dst, const void *src, int64_t n);
} js_kernels;

const js_kernels *js_kernels_of(js_precision precision);

/* &base[i] for elements of k->size bytes. */
static inline void *js_elem(const js_kernels *k, const void *base, int64_t i) {
  return (char *)base + (size_t)i * k->size;
}

#endif

/* The dense layer z = W h (no bias) in its three modes, side by side.
 *
 * Legend of the letters in the shape comments:
 *   B      samples in the batch
 *   b      vectors in the block (tangents or cotangents)
 *   m_in   width of the layer's input  (widths[l-1])
 *   m_out  width of the layer's output (widths[l])
 * Samples are rows: h_in is (B, m_in) and z = h_in W^T is (B, m_out).
 * A block of b per-sample arrays is stacked vector after vector: (b, B, m),
 * so one GEMM over b*B rows serves the whole block when W is shared.
 * Weight tangents/gradients dW_j of vector j live at dw + j*dw_stride, each
 * (m_out, m_in) row-major: a slice of a p-long column of the block.
 * Buffers hold elements of the kernels' type (double or float). */
#ifndef JS_MODEL_DENSE_H
#define JS_MODEL_DENSE_H

#include "model/kernels.h"

#include <stdint.h>

/* z = h_in W^T.  z is (B, m_out), h_in is (B, m_in), w is (m_out, m_in). */
void js_dense_forward(const js_kernels *k, void *z, const void *h_in, const void *w,
                      int64_t B, int64_t m_in, int64_t m_out);

/* Forward mode: dz_j = dh_in_j W^T + h_in dW_j^T for each vector j.
 * dz is (b, B, m_out); dh_in is (b, B, m_in) or NULL when no layer below is
 * trained (dh_in = 0); dw is b slices of (m_out, m_in) or NULL when this layer
 * is not trained (dW = 0). At least one of dh_in, dw is non-NULL.
 * h_in is (B, m_in), w is (m_out, m_in). */
void js_dense_jvp(const js_kernels *k, void *dz, const void *dh_in, const void *dw,
                  int64_t dw_stride, const void *h_in, const void *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out);

/* Reverse mode: dW_j += dz_j^T h_in (accumulates: zeroing is the caller's
 * named step) and dh_in_j = dz_j W. dh_in is (b, B, m_in) or NULL when
 * nothing below needs it; dw is b slices of (m_out, m_in) or NULL when this
 * layer is not trained. dz is (b, B, m_out), h_in is (B, m_in),
 * w is (m_out, m_in). */
void js_dense_vjp(const js_kernels *k, void *dh_in, void *dw, int64_t dw_stride,
                  const void *dz, const void *h_in, const void *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out);

#endif

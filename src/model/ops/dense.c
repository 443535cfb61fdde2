/* The dense layer z = x W^T + b in its three modes, side by side.
 *
 * Legend: B samples, b vectors, m_in = in (the input flattened),
 * m_out = out. x is (B, m_in), z is (B, m_out), W is (m_out, m_in)
 * row-major, b is (m_out). A block (b, B, m) is one matrix of b B rows, so
 * one GEMM serves the whole block where W is shared. */
#include "model/ops/ops.h"

#include <string.h>

/* z = x W^T (+ b): z is (B, m_out). */
static void dense_forward(const js_op_call *c) {
  const js_kernels *k = c->k;
  int64_t B = c->B, m_in = c->node->in_size, m_out = c->node->size;
  k->gemm(0, 1, B, m_out, m_in, 1.0, c->x[0], m_in, c->w[0], m_in, 0.0, c->y, m_out);
  if (c->w[1])
    for (int64_t s = 0; s < B; s++)
      k->axpy(m_out, 1.0, c->w[1], js_elem(k, c->y, s * m_out));
}

/* dz_j = dx_j W^T + x dW_j^T + db_j: dz is (b, B, m_out), dx (b, B, m_in)
 * or NULL, dW_j (m_out, m_in) and db_j (m_out) slices or NULL. */
static void dense_jvp(const js_op_call *c) {
  const js_kernels *k = c->k;
  int64_t B = c->B, b = c->b, m_in = c->node->in_size, m_out = c->node->size;
  double beta = 0.0; /* the first term written overwrites dz */
  if (c->dx[0]) {
    k->gemm(0, 1, b * B, m_out, m_in, 1.0, c->dx[0], m_in, c->w[0], m_in, 0.0, c->dy, m_out);
    beta = 1.0;
  }
  for (int64_t j = 0; j < b; j++) {
    void *dz = js_elem(k, c->dy, j * B * m_out);
    if (c->dw[0])
      k->gemm(0, 1, B, m_out, m_in, 1.0, c->x[0], m_in, js_elem(k, c->dw[0], j * c->dw_stride),
              m_in, beta, dz, m_out);
    else if (beta == 0.0) /* only the bias is trained and x is constant */
      memset(dz, 0, k->size * (size_t)(B * m_out));
    if (c->dw[1])
      for (int64_t s = 0; s < B; s++)
        k->axpy(m_out, 1.0, js_elem(k, c->dw[1], j * c->dw_stride), js_elem(k, dz, s * m_out));
  }
}

/* dW_j += gz_j^T x, db_j += sum over samples of gz_j, gx_j += gz_j W
 * (all accumulate). gz is (b, B, m_out). */
static void dense_vjp(const js_op_call *c) {
  const js_kernels *k = c->k;
  int64_t B = c->B, b = c->b, m_in = c->node->in_size, m_out = c->node->size;
  for (int64_t j = 0; j < b; j++) {
    const void *gz = js_elem(k, c->gy, j * B * m_out);
    if (c->dw[0])
      k->gemm(1, 0, m_out, m_in, B, 1.0, gz, m_out, c->x[0], m_in, 1.0,
              js_elem(k, c->dw[0], j * c->dw_stride), m_in);
    if (c->dw[1])
      for (int64_t s = 0; s < B; s++)
        k->axpy(m_out, 1.0, js_elem(k, gz, s * m_out), js_elem(k, c->dw[1], j * c->dw_stride));
  }
  if (c->gx[0])
    k->gemm(0, 0, b * B, m_in, m_out, 1.0, c->gy, m_out, c->w[0], m_in, 1.0, c->gx[0], m_in);
}

const js_op js_op_dense = {.name = "dense", .input_for_weight = 1, .forward = dense_forward,
                           .jvp = dense_jvp, .vjp = dense_vjp};

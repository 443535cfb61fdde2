#include "model/dense.h"

void js_dense_forward(const js_kernels *k, void *z, const void *h_in, const void *w,
                      int64_t B, int64_t m_in, int64_t m_out) {
  k->gemm(0, 1, B, m_out, m_in, 1.0, h_in, m_in, w, m_in, 0.0, z, m_out);
}

void js_dense_jvp(const js_kernels *k, void *dz, const void *dh_in, const void *dw,
                  int64_t dw_stride, const void *h_in, const void *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out) {
  double beta = 0.0; /* the first term written overwrites dz */
  if (dh_in) {
    /* W is shared by the whole block: one GEMM over b*B rows. */
    k->gemm(0, 1, b * B, m_out, m_in, 1.0, dh_in, m_in, w, m_in, 0.0, dz, m_out);
    beta = 1.0;
  }
  if (dw)
    for (int64_t j = 0; j < b; j++)
      k->gemm(0, 1, B, m_out, m_in, 1.0, h_in, m_in, js_elem(k, dw, j * dw_stride), m_in,
              beta, js_elem(k, dz, j * B * m_out), m_out);
}

void js_dense_vjp(const js_kernels *k, void *dh_in, void *dw, int64_t dw_stride,
                  const void *dz, const void *h_in, const void *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out) {
  if (dw)
    for (int64_t j = 0; j < b; j++)
      k->gemm(1, 0, m_out, m_in, B, 1.0, js_elem(k, dz, j * B * m_out), m_out, h_in, m_in,
              1.0, js_elem(k, dw, j * dw_stride), m_in);
  if (dh_in)
    k->gemm(0, 0, b * B, m_in, m_out, 1.0, dz, m_out, w, m_in, 0.0, dh_in, m_in);
}

#include "model/dense.h"

#include "core/blas.h"

void js_dense_forward(double *z, const double *h_in, const double *w,
                      int64_t B, int64_t m_in, int64_t m_out) {
  js_gemm(0, 1, B, m_out, m_in, 1.0, h_in, m_in, w, m_in, 0.0, z, m_out);
}

void js_dense_jvp(double *dz, const double *dh_in, const double *dw,
                  int64_t dw_stride, const double *h_in, const double *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out) {
  double beta = 0.0; /* the first term written overwrites dz */
  if (dh_in) {
    /* W is shared by the whole block: one GEMM over b*B rows. */
    js_gemm(0, 1, b * B, m_out, m_in, 1.0, dh_in, m_in, w, m_in, 0.0, dz, m_out);
    beta = 1.0;
  }
  if (dw)
    for (int64_t j = 0; j < b; j++)
      js_gemm(0, 1, B, m_out, m_in, 1.0, h_in, m_in, dw + j * dw_stride, m_in,
              beta, dz + j * B * m_out, m_out);
}

void js_dense_vjp(double *dh_in, double *dw, int64_t dw_stride,
                  const double *dz, const double *h_in, const double *w,
                  int64_t B, int64_t b, int64_t m_in, int64_t m_out) {
  if (dw)
    for (int64_t j = 0; j < b; j++)
      js_gemm(1, 0, m_out, m_in, B, 1.0, dz + j * B * m_out, m_out, h_in, m_in,
              1.0, dw + j * dw_stride, m_in);
  if (dh_in)
    js_gemm(0, 0, b * B, m_in, m_out, 1.0, dz, m_out, w, m_in, 0.0, dh_in, m_in);
}

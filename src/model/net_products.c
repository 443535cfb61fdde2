/* The network's products, batch after batch of samples (net_batch.c walks
 * the batches): f = forward(x), J v (forward mode) and J^T u (reverse mode)
 * for blocks of vectors.
 *
 * Legend: n samples, B samples in a batch, b vectors in the block,
 * m_l = widths[l], K = widths[L], p = trained parameters.
 * Per batch the hidden activations h_l (B, m_l) and phi'(z_l) (B, m_l) come
 * from the workspace or the activation cache; tangents and cotangents of
 * the whole block flow through two ping-pong buffers of (b, B, max_l m_l).
 *
 * The products compute in the precision of the options through the
 * kernels of kernels.h: buffers are untyped and elements are reached with
 * js_elem. In double the public vectors are used in place; in single they
 * are converted at the boundary (v into a float block, u and J v row
 * blocks per batch, J^T u accumulated in float then widened). The forward
 * pass is always double. */
#include "model/net_batch.h"

#include "model/dense.h"

#include <string.h>

int js_net_forward(js_net *net, const double *x, int64_t n_samples, double *f) {
  js_product pr;
  int rc = js_forward_begin(net, x, n_samples, f, &pr);
  if (rc)
    return rc;
  const int64_t *m = net->opt.widths;
  for (int64_t i0 = 0; i0 < n_samples; i0 += pr.B) {
    int64_t nb = n_samples - i0 < pr.B ? n_samples - i0 : pr.B;
    js_product_batch(net, &pr, x, i0, nb);
    js_dense_forward(pr.k, f + i0 * pr.K, js_layer_input(&pr.buf, pr.L), pr.w[pr.L], nb,
                     m[pr.L - 1], pr.K);
  }
  return JS_OK;
}

/* Forward mode: the tangent is zero below the lowest trained layer (the
 * inputs are constants), so propagation starts there:
 * dz_l = W_l dh_{l-1} + dW_l h_{l-1}, dh_l = phi'(z_l) * dz_l, Jv = dz_L. */
int js_net_jvp(js_net *net, const double *x, int64_t n_samples,
               const double *v, int64_t n_vectors, double *jv) {
  js_product pr;
  int rc = js_product_begin("js_net_jvp", net, x, n_samples, v, n_vectors, jv, &pr);
  if (rc)
    return rc;
  const js_kernels *k = pr.k;
  const int64_t *m = net->opt.widths;
  const void *tangents = v; /* p x b in the products' precision */
  if (pr.params) {
    k->from_double(pr.params, v, pr.p * n_vectors);
    tangents = pr.params;
  }
  for (int64_t i0 = 0; i0 < n_samples; i0 += pr.B) {
    int64_t nb = n_samples - i0 < pr.B ? n_samples - i0 : pr.B;
    js_product_batch(net, &pr, x, i0, nb);
    const void *dh = NULL; /* (b, nb, m_{l-1}), NULL = 0 */
    for (int l = pr.lo; l <= pr.L; l++) {
      void *dz = pr.buf.t[(l - pr.lo) % 2];
      const void *dw =
          net->param_offset[l] >= 0 ? js_elem(k, tangents, net->param_offset[l]) : NULL;
      js_dense_jvp(k, dz, dh, dw, pr.p, js_layer_input(&pr.buf, l), pr.w[l], nb, n_vectors,
                   m[l - 1], m[l]);
      if (l < pr.L)
        k->scale_block(dz, pr.buf.dphi[l], nb * m[l], n_vectors);
      dh = dz;
    }
    js_scatter_rows(k, jv, dh, n_samples * pr.K, i0 * pr.K, nb * pr.K, n_vectors);
  }
  js_product_end(net, &pr);
  return JS_OK;
}

/* Reverse mode: gz_L = u; dW_l += gz_l^T h_{l-1}; gz_{l-1} = phi'(z_{l-1}) *
 * (gz_l W_l), stopping at the lowest trained layer (nothing below has
 * parameters). Batches add their contributions into the same gradients,
 * zeroed first as a named step. */
int js_net_vjp(js_net *net, const double *x, int64_t n_samples,
               const double *u, int64_t n_vectors, double *g) {
  js_product pr;
  int rc = js_product_begin("js_net_vjp", net, x, n_samples, u, n_vectors, g, &pr);
  if (rc)
    return rc;
  const js_kernels *k = pr.k;
  const int64_t *m = net->opt.widths;
  void *grad = pr.params ? pr.params : g; /* p x b in the products' precision */
  memset(grad, 0, k->size * (size_t)(pr.p * n_vectors));
  for (int64_t i0 = 0; i0 < n_samples; i0 += pr.B) {
    int64_t nb = n_samples - i0 < pr.B ? n_samples - i0 : pr.B;
    js_product_batch(net, &pr, x, i0, nb);
    int cur = 0; /* gz_l lives in buf.t[cur], (b, nb, m_l) */
    js_gather_rows(k, pr.buf.t[cur], u, n_samples * pr.K, i0 * pr.K, nb * pr.K, n_vectors);
    for (int l = pr.L; l >= pr.lo; l--) {
      void *gh = l > pr.lo ? pr.buf.t[1 - cur] : NULL; /* (b, nb, m_{l-1}) */
      void *dw = net->param_offset[l] >= 0 ? js_elem(k, grad, net->param_offset[l]) : NULL;
      js_dense_vjp(k, gh, dw, pr.p, pr.buf.t[cur], js_layer_input(&pr.buf, l), pr.w[l], nb,
                   n_vectors, m[l - 1], m[l]);
      if (gh)
        k->scale_block(gh, pr.buf.dphi[l - 1], nb * m[l - 1], n_vectors);
      cur = 1 - cur;
    }
  }
  if (pr.params)
    k->to_double(g, pr.params, pr.p * n_vectors);
  js_product_end(net, &pr);
  return JS_OK;
}

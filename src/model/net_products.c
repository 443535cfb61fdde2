/* The network's products, batch after batch of samples: f = forward(x),
 * J v (forward mode) and J^T u (reverse mode) for blocks of vectors.
 *
 * Legend: n samples, B samples in a batch, b vectors in the block,
 * m_l = widths[l], K = widths[L], p = trained parameters.
 * Per batch the forward pass caches the activations h_l (B, m_l) and, for
 * the products, phi'(z_l) (B, m_l); tangents and cotangents of the whole
 * block flow through two ping-pong buffers of (b, B, max_l m_l). */
#include "model/net.h"

#include "core/error.h"
#include "model/activation.h"
#include "model/dense.h"

#include <stdlib.h>
#include <string.h>

/* Automatic batches keep the workspace around this size. */
#define AUTO_BATCH_BYTES ((size_t)64 << 20)

/* Views into net->work for one batch size and block size. */
typedef struct batch_buffers {
  const double *x;                /* the batch's inputs h_0, (B, m_0) */
  double *h[JS_MAX_LAYERS];       /* h[l] = phi(z_l), (B, m_l), l in 1..L-1 */
  double *dphi[JS_MAX_LAYERS];    /* phi'(z_l), (B, m_l), l in 1..L-1 (products) */
  double *t[2];                   /* (b, B, max_l m_l) each (products) */
} batch_buffers;

/* The input of layer l: h_{l-1}, (B, m_{l-1}). */
static const double *layer_input(const batch_buffers *buf, int l) {
  return l == 1 ? buf->x : buf->h[l - 1];
}

/* max_l m_l over the layers' outputs: the width of a block buffer. */
static int64_t widest_output(const js_net *net) {
  int64_t widest = 0;
  for (int l = 1; l <= net->opt.n_layers; l++)
    if (net->opt.widths[l] > widest)
      widest = net->opt.widths[l];
  return widest;
}

/* Workspace doubles per sample: activations, plus derivatives and the two
 * block buffers when n_vectors > 0 (a product rather than a forward pass). */
static size_t doubles_per_sample(const js_net *net, int64_t n_vectors) {
  size_t hidden = 0;
  for (int l = 1; l < net->opt.n_layers; l++)
    hidden += (size_t)net->opt.widths[l];
  if (n_vectors == 0)
    return hidden;
  return 2 * hidden + 2 * (size_t)n_vectors * (size_t)widest_output(net);
}

/* batch_size from the options, or (0) the most samples whose workspace
 * fits AUTO_BATCH_BYTES, at least 1; never more than n_samples. */
static int64_t batch_samples(const js_net *net, int64_t n_samples, int64_t n_vectors) {
  int64_t batch = net->opt.batch_size;
  if (batch == 0) {
    size_t per_sample = doubles_per_sample(net, n_vectors) * sizeof(double);
    batch = per_sample ? (int64_t)(AUTO_BATCH_BYTES / per_sample) : n_samples;
    if (batch < 1)
      batch = 1;
  }
  return batch < n_samples ? batch : n_samples;
}

/* Grows net->work (never shrinks it) to hold batches of B samples and blocks
 * of n_vectors, and lays the buffers out in it. */
static int reserve_workspace(js_net *net, int64_t B, int64_t n_vectors,
                             batch_buffers *buf) {
  const js_net_options *opt = &net->opt;
  size_t per_sample = doubles_per_sample(net, n_vectors);
  if (per_sample > SIZE_MAX / sizeof(double) / (size_t)B)
    return js_fail(JS_ENOMEM, "network workspace: %lld samples x %zu doubles overflows",
                   (long long)B, per_sample);
  size_t need = per_sample * (size_t)B;
  if (need > net->work_size) {
    double *work = js_alloc(need, sizeof(double), "network workspace");
    if (!work)
      return JS_ENOMEM;
    free(net->work);
    net->work = work;
    net->work_size = need;
  }
  memset(buf, 0, sizeof *buf);
  double *next = net->work;
  for (int l = 1; l < opt->n_layers; l++) {
    buf->h[l] = next;
    next += B * opt->widths[l];
  }
  if (n_vectors == 0)
    return JS_OK;
  for (int l = 1; l < opt->n_layers; l++) {
    buf->dphi[l] = next;
    next += B * opt->widths[l];
  }
  buf->t[0] = next;
  buf->t[1] = next + n_vectors * B * widest_output(net);
  return JS_OK;
}

/* h_l = phi(W_l h_{l-1}) for the hidden layers l = 1..L-1 of one batch,
 * caching phi'(z_l) for l >= first_dphi (the layers a product goes through). */
static void hidden_forward(js_net *net, batch_buffers *buf, const double *x,
                           int64_t B, int first_dphi) {
  const js_net_options *opt = &net->opt;
  buf->x = x;
  for (int l = 1; l < opt->n_layers; l++) {
    int64_t size = B * opt->widths[l];
    js_dense_forward(buf->h[l], layer_input(buf, l), net->w[l], B,
                     opt->widths[l - 1], opt->widths[l]);
    if (l >= first_dphi)
      js_activation_derivative(opt->act, buf->dphi[l], buf->h[l], size);
    js_activation_forward(opt->act, buf->h[l], buf->h[l], size);
  }
}

/* Arguments shared by the three products (forward passes x as `in` and one
 * vector: it has no block). */
static int check_call(const char *fn, const js_net *net, const double *x,
                      int64_t n_samples, const double *in, int64_t n_vectors,
                      const double *out) {
  if (!net)
    return js_fail(JS_EINVAL, "%s: network is NULL", fn);
  if (!x || !in || !out)
    return js_fail(JS_EINVAL, "%s: %s is NULL", fn,
                   !x ? "the input x" : !in ? "the vector block" : "the output");
  if (n_samples < 1)
    return js_fail(JS_EINVAL, "%s: n_samples = %lld, must be >= 1", fn,
                   (long long)n_samples);
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "%s: n_vectors = %lld, must be >= 1", fn,
                   (long long)n_vectors);
  return JS_OK;
}

int js_net_forward(js_net *net, const double *x, int64_t n_samples, double *f) {
  int rc = check_call("js_net_forward", net, x, n_samples, x, 1, f);
  if (rc)
    return rc;
  const js_net_options *opt = &net->opt;
  int L = opt->n_layers;
  int64_t d = opt->widths[0], K = opt->widths[L];
  int64_t B = batch_samples(net, n_samples, 0);
  batch_buffers buf;
  rc = reserve_workspace(net, B, 0, &buf);
  for (int64_t i0 = 0; !rc && i0 < n_samples; i0 += B) {
    int64_t nb = n_samples - i0 < B ? n_samples - i0 : B;
    hidden_forward(net, &buf, x + i0 * d, nb, L);
    js_dense_forward(f + i0 * K, layer_input(&buf, L), net->w[L], nb,
                     opt->widths[L - 1], K);
  }
  return rc;
}

/* What a JVP or VJP call works with: sizes, batch, laid-out workspace. */
typedef struct product {
  int L, lo;           /* layers; lowest trained layer */
  int64_t K, p, B;     /* outputs per sample, parameters, samples per batch */
  batch_buffers buf;
} product;

/* Checks the arguments, then sizes the batch and the workspace. */
static int begin_product(const char *fn, js_net *net, const double *x, int64_t n_samples,
                         const double *in, int64_t n_vectors, const double *out,
                         product *pr) {
  int rc = check_call(fn, net, x, n_samples, in, n_vectors, out);
  if (rc)
    return rc;
  pr->L = net->opt.n_layers;
  pr->lo = net->lowest_trained;
  pr->K = net->opt.widths[pr->L];
  pr->p = net->n_params;
  pr->B = batch_samples(net, n_samples, n_vectors);
  return reserve_workspace(net, pr->B, n_vectors, &pr->buf);
}

/* Rows [i0, i0 + B) of each column of an (n K) x b block, to and from the
 * stacked (b, B, K) layout of the workspace. */
static void gather_rows(double *stacked, const double *block, int64_t n_rows,
                        int64_t first_row, int64_t rows, int64_t n_vectors) {
  for (int64_t j = 0; j < n_vectors; j++)
    memcpy(stacked + j * rows, block + j * n_rows + first_row,
           sizeof(double) * (size_t)rows);
}

static void scatter_rows(double *block, const double *stacked, int64_t n_rows,
                         int64_t first_row, int64_t rows, int64_t n_vectors) {
  for (int64_t j = 0; j < n_vectors; j++)
    memcpy(block + j * n_rows + first_row, stacked + j * rows,
           sizeof(double) * (size_t)rows);
}

/* Forward mode: the tangent is zero below the lowest trained layer (the
 * inputs are constants), so propagation starts there:
 * dz_l = W_l dh_{l-1} + dW_l h_{l-1}, dh_l = phi'(z_l) * dz_l, Jv = dz_L. */
int js_net_jvp(js_net *net, const double *x, int64_t n_samples,
               const double *v, int64_t n_vectors, double *jv) {
  product pr;
  int rc = begin_product("js_net_jvp", net, x, n_samples, v, n_vectors, jv, &pr);
  if (rc)
    return rc;
  const int64_t *m = net->opt.widths;
  for (int64_t i0 = 0; i0 < n_samples; i0 += pr.B) {
    int64_t nb = n_samples - i0 < pr.B ? n_samples - i0 : pr.B;
    hidden_forward(net, &pr.buf, x + i0 * m[0], nb, pr.lo);
    const double *dh = NULL; /* (b, nb, m_{l-1}), NULL = 0 */
    for (int l = pr.lo; l <= pr.L; l++) {
      double *dz = pr.buf.t[(l - pr.lo) % 2];
      const double *dw = net->param_offset[l] >= 0 ? v + net->param_offset[l] : NULL;
      js_dense_jvp(dz, dh, dw, pr.p, layer_input(&pr.buf, l), net->w[l], nb, n_vectors,
                   m[l - 1], m[l]);
      if (l < pr.L)
        js_activation_scale_block(dz, pr.buf.dphi[l], nb * m[l], n_vectors);
      dh = dz;
    }
    scatter_rows(jv, dh, n_samples * pr.K, i0 * pr.K, nb * pr.K, n_vectors);
  }
  return JS_OK;
}

/* The named zeroing step before reverse mode accumulates into g. */
static void zero_gradients(double *g, int64_t n_params, int64_t n_vectors) {
  memset(g, 0, sizeof(double) * (size_t)(n_params * n_vectors));
}

/* Reverse mode: gz_L = u; dW_l += gz_l^T h_{l-1}; gz_{l-1} = phi'(z_{l-1}) *
 * (gz_l W_l), stopping at the lowest trained layer (nothing below has
 * parameters). Batches add their contributions into the same g. */
int js_net_vjp(js_net *net, const double *x, int64_t n_samples,
               const double *u, int64_t n_vectors, double *g) {
  product pr;
  int rc = begin_product("js_net_vjp", net, x, n_samples, u, n_vectors, g, &pr);
  if (rc)
    return rc;
  const int64_t *m = net->opt.widths;
  zero_gradients(g, pr.p, n_vectors);
  for (int64_t i0 = 0; i0 < n_samples; i0 += pr.B) {
    int64_t nb = n_samples - i0 < pr.B ? n_samples - i0 : pr.B;
    hidden_forward(net, &pr.buf, x + i0 * m[0], nb, pr.lo);
    int cur = 0; /* gz_l lives in buf.t[cur], (b, nb, m_l) */
    gather_rows(pr.buf.t[cur], u, n_samples * pr.K, i0 * pr.K, nb * pr.K, n_vectors);
    for (int l = pr.L; l >= pr.lo; l--) {
      double *gh = l > pr.lo ? pr.buf.t[1 - cur] : NULL; /* (b, nb, m_{l-1}) */
      double *dw = net->param_offset[l] >= 0 ? g + net->param_offset[l] : NULL;
      js_dense_vjp(gh, dw, pr.p, pr.buf.t[cur], layer_input(&pr.buf, l), net->w[l], nb,
                   n_vectors, m[l - 1], m[l]);
      if (gh)
        js_activation_scale_block(gh, pr.buf.dphi[l - 1], nb * m[l - 1], n_vectors);
      cur = 1 - cur;
    }
  }
  return JS_OK;
}

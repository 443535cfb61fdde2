/* How a forward pass or a product walks the samples (net_batch.c): the
 * batch size, the workspace and its layout, the weights and the p x b
 * block in the products' precision, and each batch's inputs, activations
 * h_l and derivatives phi'(z_l), from the cache or computed. net_products.c
 * holds only the layer-by-layer math on top of it.
 *
 * Legend: n samples, B samples in a batch, b vectors in the block,
 * m_l = widths[l], K = widths[L], p = trained parameters. Buffers hold
 * elements of the kernels' type (js_elem). */
#ifndef JS_MODEL_NET_BATCH_H
#define JS_MODEL_NET_BATCH_H

#include "model/kernels.h"
#include "model/net.h"
#include "model/net_cache.h"

/* Views into net->work (or the cache) for one batch size and block size. */
typedef struct js_batch_buffers {
  const void *x;               /* the batch's inputs h_0, (B, m_0) */
  void *h[JS_MAX_LAYERS];      /* h[l] = phi(z_l), (B, m_l), l in 1..L-1 */
  void *dphi[JS_MAX_LAYERS];   /* phi'(z_l), (B, m_l), products, l >= lo; else NULL */
  void *t[2];                  /* (b, B, max_l m_l) each (products) */
  void *x_single;              /* (B, m_0): x converted (single precision) */
} js_batch_buffers;

/* What one call works with. */
typedef struct js_product {
  const js_kernels *k;
  int L, lo;           /* layers; lowest trained layer */
  int64_t K, p, B;     /* outputs per sample, parameters, samples per batch */
  js_cache_use cache;
  const void *w[JS_MAX_LAYERS + 1]; /* W_l in the products' precision */
  void *params;        /* p x b block in single precision, else NULL */
  js_batch_buffers buf;
} js_product;

/* The input of layer l: h_{l-1}, (B, m_{l-1}). */
static inline const void *js_layer_input(const js_batch_buffers *buf, int l) {
  return l == 1 ? buf->x : buf->h[l - 1];
}

/* Checks the arguments (fn names the caller in messages) and prepares pr
 * for a product of n_vectors >= 1, in the options' precision, cached when
 * the cache allows. */
int js_product_begin(const char *fn, js_net *net, const double *x, int64_t n_samples,
                     const double *in, int64_t n_vectors, const double *out,
                     js_product *pr);
/* The same for a forward pass into f: double, uncached, no derivatives. */
int js_forward_begin(js_net *net, const double *x, int64_t n_samples, const double *f,
                     js_product *pr);

/* The inputs and the hidden activations of samples [i0, i0 + nb). */
void js_product_batch(js_net *net, js_product *pr, const double *x, int64_t i0, int64_t nb);

/* After the last batch: a filled cache serves the next products. */
void js_product_end(js_net *net, const js_product *pr);

/* Rows [first_row, first_row + rows) of each column of an (n K) x b double
 * block, to and from the stacked (b, B, K) layout of the workspace. */
void js_gather_rows(const js_kernels *k, void *stacked, const double *block,
                    int64_t n_rows, int64_t first_row, int64_t rows, int64_t n_vectors);
void js_scatter_rows(const js_kernels *k, double *block, const void *stacked,
                     int64_t n_rows, int64_t first_row, int64_t rows, int64_t n_vectors);

#endif

/* The activation cache of a network (js_net_cache in net.h): h_l and
 * phi'(z_l) of all samples, kept between products while the weights and
 * the inputs stay the same. A Lanczos run multiplies by J and J^T hundreds
 * of times at one theta, and without the cache every product would redo
 * the forward pass (a GEMM as large as the product's own, plus the
 * activation's transcendental functions). */
#ifndef JS_MODEL_NET_CACHE_H
#define JS_MODEL_NET_CACHE_H

#include "model/net.h"

typedef enum {
  JS_CACHE_OFF,  /* recompute per batch: the cache would exceed cache_limit */
  JS_CACHE_FILL, /* the product computes the activations into the cache */
  JS_CACHE_HIT   /* the cache holds them: the forward pass is skipped */
} js_cache_use;

/* How a product on inputs x (n_samples rows) uses the cache. For FILL the
 * buffer is grown (never shrunk) and laid out here, before any batch, so
 * products do not allocate in their loops; if growing fails the product
 * runs uncached (OFF) rather than failing. */
js_cache_use js_net_cache_begin(js_net *net, const double *x, int64_t n_samples);

/* The inputs at an address the cache may know now hold other samples (a
 * new operator on a data set: the allocator may reuse a freed address). */
void js_net_cache_forget(js_net *net);

/* A FILL product has computed every batch: later products may HIT. */
void js_net_cache_filled(js_net *net);

#endif

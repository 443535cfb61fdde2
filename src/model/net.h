/* The network object shared by net.c (construction, initialisation,
 * parameters) and net_products.c (forward, JVP, VJP over batches).
 *
 * All weights live in one contiguous buffer; w[l] points at W_l inside it.
 * theta is not stored separately: it is the trained W_l in layer order, so
 * param_offset[l] says where W_l starts in theta (and in every p-long column
 * of a tangent or gradient block), or -1 when W_l is not trained.
 *
 * The workspace makes the products allocation-free once warm; it is grown
 * only when a larger batch or block arrives. It also means one network must
 * not run two products at the same time from different threads. */
#ifndef JS_MODEL_NET_H
#define JS_MODEL_NET_H

#include "jacspec.h"

#include <stddef.h>
#include <stdint.h>

/* h_l (n, m_l) for the hidden layers and phi'(z_l) (n, m_l) for l >= the
 * lowest trained layer, of all n samples of the inputs x, computed at the
 * weights of `generation` (net_cache.c). */
typedef struct js_net_cache {
  void *data;                    /* all of it, grown only; elements of the
                                    products' precision */
  size_t size;                   /* bytes in data */
  void *h[JS_MAX_LAYERS];        /* h[l], l in 1..L-1 */
  void *dphi[JS_MAX_LAYERS];     /* dphi[l], l in lowest trained..L-1 */
  const double *x;               /* the inputs it was computed on, */
  int64_t n_samples;             /* their count, */
  uint64_t generation;           /* and the weights' generation */
  int valid;                     /* 1 once a product has filled it */
} js_net_cache;

struct js_net {
  js_net_options opt;
  int lowest_trained;                      /* smallest l with W_l trained */
  int64_t n_params;                        /* p */
  int64_t n_weights;                       /* entries of all W_l */
  double *weights;                         /* all W_l, layer after layer */
  double *w[JS_MAX_LAYERS + 1];            /* w[l] = W_l, l in 1..L */
  int64_t param_offset[JS_MAX_LAYERS + 1]; /* start of W_l in theta, or -1 */
  void *work;                              /* product workspace */
  size_t work_size;                        /* bytes in work */
  uint64_t generation; /* from 1, bumped by every possible write to the weights */
  /* Single precision: all weights as float (same layout as weights), of
   * weights_f_generation (0: never converted), and a p x b block in float (tangents in, or the
   * gradients accumulated before they are widened to double). */
  float *weights_f;
  uint64_t weights_f_generation;
  void *param_work;
  size_t param_work_size; /* bytes */
  js_net_cache cache;
};

#endif

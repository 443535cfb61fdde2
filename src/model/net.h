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

struct js_net {
  js_net_options opt;
  int lowest_trained;                      /* smallest l with W_l trained */
  int64_t n_params;                        /* p */
  double *weights;                         /* all W_l, layer after layer */
  double *w[JS_MAX_LAYERS + 1];            /* w[l] = W_l, l in 1..L */
  int64_t param_offset[JS_MAX_LAYERS + 1]; /* start of W_l in theta, or -1 */
  double *work;                            /* product workspace */
  size_t work_size;                        /* doubles in work */
};

#endif

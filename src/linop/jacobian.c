/* The Jacobian of a network on a data set as a matrix-free operator:
 * rows = nK (outputs, sample-major), cols = p (trained parameters). */
#include "linop/linop.h"

#include "core/error.h"
#include "model/net_cache.h"

#include <stdlib.h>

typedef struct jacobian_ctx {
  js_net *net;             /* borrowed */
  const js_dataset *data;  /* borrowed */
} jacobian_ctx;

static int jacobian_apply(void *ctx, int transpose, int64_t n_vectors,
                          const double *in, double *out) {
  jacobian_ctx *jac = ctx;
  const js_dataset *data = jac->data;
  if (transpose)
    return js_net_vjp(jac->net, data->x, data->n_samples, in, n_vectors, out);
  return js_net_jvp(jac->net, data->x, data->n_samples, in, n_vectors, out);
}

int js_jacobian_create(js_net *net, const js_dataset *data, js_linop **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_jacobian_create: output pointer is NULL");
  *out = NULL;
  if (!net || !data)
    return js_fail(JS_EINVAL, "js_jacobian_create: %s is NULL",
                   net ? "the data set" : "the network");
  int L = js_net_n_layers(net);
  if (!data->x || data->n_samples < 1)
    return js_fail(JS_EINVAL, "js_jacobian_create: the data set has no samples");
  if (data->dim != js_net_width(net, 0))
    return js_fail(JS_EINVAL,
                   "js_jacobian_create: data dimension %lld differs from the network's input width %lld",
                   (long long)data->dim, (long long)js_net_width(net, 0));
  if (data->n_outputs != js_net_width(net, L))
    return js_fail(JS_EINVAL,
                   "js_jacobian_create: data has %lld outputs, the network's output width is %lld",
                   (long long)data->n_outputs, (long long)js_net_width(net, L));
  jacobian_ctx *jac = js_alloc(1, sizeof *jac, "Jacobian operator");
  if (!jac)
    return JS_ENOMEM;
  jac->net = net;
  jac->data = data;
  /* data->x may sit where a freed data set the cache knows used to be. */
  js_net_cache_forget(net);
  int rc = js_linop_create(data->n_samples * data->n_outputs, js_net_n_params(net),
                           jacobian_apply, jac, out);
  if (rc) {
    free(jac);
    return rc;
  }
  js_linop_set_ctx_free(*out, free);
  return JS_OK;
}

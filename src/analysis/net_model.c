/* The js_model of a network on a data set: what js_train needs from a
 * js_net. A batch's Jacobian is the Jacobian operator on a small data set
 * holding copies of the batch's inputs, wrapped so that freeing the
 * operator frees the copy too. */
#include "core/error.h"
#include "linop/linop.h"

#include <stdlib.h>
#include <string.h>

typedef struct net_model {
  js_net *net;            /* borrowed */
  const js_dataset *data; /* borrowed */
} net_model;

/* A batch's operator: the Jacobian on `view`, which it owns. */
typedef struct batch_jacobian {
  js_linop *jacobian;
  js_dataset *view;
} batch_jacobian;

static int net_set_params(void *ctx, const double *theta) {
  net_model *nm = ctx;
  js_net_set_params(nm->net, theta);
  return JS_OK;
}

static int net_forward(void *ctx, double *f) {
  net_model *nm = ctx;
  return js_net_forward(nm->net, nm->data->x, nm->data->n_samples, f);
}

static int batch_apply(void *ctx, int transpose, int64_t n_vectors, const double *in,
                       double *out) {
  batch_jacobian *bj = ctx;
  return transpose ? js_linop_apply_t(bj->jacobian, n_vectors, in, out)
                   : js_linop_apply(bj->jacobian, n_vectors, in, out);
}

static void batch_free(void *ctx) {
  batch_jacobian *bj = ctx;
  js_linop_free(bj->jacobian);
  js_dataset_free(bj->view);
  free(bj);
}

static int net_jacobian(void *ctx, const int64_t *samples, int64_t n_batch,
                        js_linop **op) {
  net_model *nm = ctx;
  const js_dataset *data = nm->data;
  *op = NULL;
  if (!samples)
    return js_jacobian_create(nm->net, data, op);
  batch_jacobian *bj = js_alloc(1, sizeof *bj, "batch Jacobian");
  if (!bj)
    return JS_ENOMEM;
  int status = js_dataset_create(n_batch, data->dim, data->n_outputs, 0, &bj->view);
  for (int64_t b = 0; status == JS_OK && b < n_batch; b++) {
    if (samples[b] < 0 || samples[b] >= data->n_samples)
      status = js_fail(JS_EINVAL, "batch Jacobian: sample %lld is not in 0..%lld",
                       (long long)samples[b], (long long)data->n_samples - 1);
    else
      memcpy(bj->view->x + b * data->dim, data->x + samples[b] * data->dim,
             sizeof(double) * (size_t)data->dim);
  }
  if (status == JS_OK)
    status = js_jacobian_create(nm->net, bj->view, &bj->jacobian);
  if (status == JS_OK)
    status = js_linop_create(n_batch * data->n_outputs, js_net_n_params(nm->net),
                             batch_apply, bj, op);
  if (status) {
    batch_free(bj);
    return status;
  }
  js_linop_set_ctx_free(*op, batch_free);
  return JS_OK;
}

int js_net_model_init(js_model *model, js_net *net, const js_dataset *data) {
  if (!model || !net || !data)
    return js_fail(JS_EINVAL, "net model: NULL %s", !model ? "model" : !net ? "network"
                                                                           : "data set");
  memset(model, 0, sizeof *model);
  int L = js_net_n_layers(net);
  if (data->dim != js_net_width(net, 0) || data->n_outputs != js_net_width(net, L))
    return js_fail(JS_EINVAL, "net model: data of dimension %lld with %lld outputs for a "
                   "network %lld -> %lld", (long long)data->dim, (long long)data->n_outputs,
                   (long long)js_net_width(net, 0), (long long)js_net_width(net, L));
  net_model *nm = js_alloc(1, sizeof *nm, "net model");
  if (!nm)
    return JS_ENOMEM;
  nm->net = net;
  nm->data = data;
  *model = (js_model){.n_samples = data->n_samples,
                      .n_outputs = data->n_samples * data->n_outputs,
                      .n_params = js_net_n_params(net),
                      .ctx = nm,
                      .set_params = net_set_params,
                      .forward = net_forward,
                      .jacobian = net_jacobian,
                      .release = free};
  return JS_OK;
}

void js_model_release(js_model *model) {
  if (!model)
    return;
  if (model->release)
    model->release(model->ctx);
  memset(model, 0, sizeof *model);
}

/* The js_model of a network on a data set: what js_train needs, as
 * functions of theta. The network's untrained tensors stay as they are; a
 * scratch copy of its values receives theta for each forward pass, and
 * each Jacobian takes its own snapshot (jacobian.c), so nothing is ever
 * set on the network. A batch's Jacobian is the Jacobian on a small data
 * set holding copies of the batch's inputs, freed with the operator. */
#include "model/exec.h"

#include "core/error.h"
#include "linop/linop.h"

#include <stdlib.h>
#include <string.h>

typedef struct net_model {
  const js_net *net;       /* borrowed */
  const js_dataset *data;  /* borrowed */
  js_jacobian_options opt;
  double *values;          /* scratch: the network's values with theta in */
} net_model;

/* A batch's operator: the Jacobian on `view`, which it owns. */
typedef struct batch_jacobian {
  js_linop *jacobian;
  js_dataset *view;
} batch_jacobian;

static int net_forward(void *ctx, const double *theta, double *f) {
  net_model *nm = ctx;
  memcpy(nm->values, nm->net->values, sizeof(double) * (size_t)nm->net->n_values);
  js_graph_scatter_theta(nm->net, theta, nm->values);
  return js_exec_outputs(nm->net, nm->values, nm->data->x, nm->data->n_samples, f);
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

static int net_jacobian(void *ctx, const double *theta, const int64_t *samples,
                        int64_t n_batch, double *f, js_linop **op) {
  net_model *nm = ctx;
  const js_dataset *data = nm->data;
  *op = NULL;
  if (!samples)
    return js_jacobian_create_outputs(nm->net, theta, data, &nm->opt, f, op);
  batch_jacobian *bj = js_alloc(1, sizeof *bj, "batch Jacobian");
  if (!bj)
    return JS_ENOMEM;
  int status = js_dataset_create(n_batch, data->dim, data->n_outputs, 0, &bj->view);
  if (status == JS_OK)
    bj->view->shape = data->shape;
  for (int64_t b = 0; status == JS_OK && b < n_batch; b++) {
    if (samples[b] < 0 || samples[b] >= data->n_samples)
      status = js_fail(JS_EINVAL, "batch Jacobian: sample %lld is not in 0..%lld",
                       (long long)samples[b], (long long)data->n_samples - 1);
    else
      memcpy(bj->view->x + b * data->dim, data->x + samples[b] * data->dim,
             sizeof(double) * (size_t)data->dim);
  }
  if (status == JS_OK)
    status = js_jacobian_create_outputs(nm->net, theta, bj->view, &nm->opt, f,
                                        &bj->jacobian);
  if (status == JS_OK)
    status = js_linop_create(n_batch * data->n_outputs, nm->net->n_theta, batch_apply, bj, op);
  if (status) {
    batch_free(bj);
    return status;
  }
  js_linop_set_ctx_free(*op, batch_free);
  return JS_OK;
}

static void net_model_free(void *ctx) {
  net_model *nm = ctx;
  if (nm)
    free(nm->values);
  free(nm);
}

int js_net_model_init(js_model *model, const js_net *net, const js_dataset *data,
                      const js_jacobian_options *opt) {
  if (!model || !net || !data)
    return js_fail(JS_EINVAL, "net model: NULL %s", !model ? "model" : !net ? "network"
                                                                           : "data set");
  memset(model, 0, sizeof *model);
  if (data->dim != net->nodes[0].size || data->n_outputs != js_net_n_outputs(net))
    return js_fail(JS_EINVAL, "net model: data of dimension %lld with %lld outputs for a "
                   "network %lld -> %lld", (long long)data->dim, (long long)data->n_outputs,
                   (long long)net->nodes[0].size, (long long)js_net_n_outputs(net));
  net_model *nm = js_alloc(1, sizeof *nm, "net model");
  if (!nm)
    return JS_ENOMEM;
  nm->values = js_alloc((size_t)net->n_values, sizeof(double), "net model parameters");
  if (!nm->values) {
    free(nm);
    return JS_ENOMEM;
  }
  nm->net = net;
  nm->data = data;
  if (opt)
    nm->opt = *opt;
  else
    js_jacobian_options_init_defaults(&nm->opt);
  *model = (js_model){.comm = nm->opt.comm,
                      .n_samples = data->n_samples,
                      .n_outputs = data->n_samples * data->n_outputs,
                      .n_params = net->n_theta,
                      .ctx = nm,
                      .forward = net_forward,
                      .jacobian = net_jacobian,
                      .release = net_model_free};
  return JS_OK;
}

void js_model_release(js_model *model) {
  if (!model)
    return;
  if (model->release)
    model->release(model->ctx);
  memset(model, 0, sizeof *model);
}

/* The js_model of a network on a data set: what js_train needs, as
 * functions of theta. The network's untrained tensors stay as they are; a
 * scratch copy of its values receives theta for each forward pass, and
 * each Jacobian takes its own snapshot (jacobian.c), so nothing is ever
 * set on the network. A batch's Jacobian is the Jacobian on a small data
 * set holding copies of the batch's inputs. When its operator is freed it
 * is parked, and the next batch of the same size takes it over, aimed at
 * the new theta and inputs (js_jacobian_reaim): SGD steps then reuse one
 * workspace and cache instead of mapping fresh pages for them each step
 * (ResNet20 of width 4, batch 64: 18 000 page faults a step, 15 % of the CPU
 * time in the kernel). A Jacobian on all samples empties the park first, so
 * peak memory is what it was. The park is shared by the model and its
 * live batches, so either may go first. */
#include "model/exec.h"

#include "core/error.h"
#include "linop/linop.h"
#include "model/jacobian.h"

#include <stdlib.h>
#include <string.h>

typedef struct batch_jacobian batch_jacobian;

/* At most one batch Jacobian waiting for the next batch; freed with the
 * last of its holders (the model and each live batch operator). */
typedef struct batch_park {
  int64_t holders;
  batch_jacobian *parked;
} batch_park;

typedef struct net_model {
  const js_net *net;       /* borrowed */
  const js_dataset *data;  /* borrowed */
  js_jacobian_options opt;
  double *values;          /* scratch: the network's values with theta in */
  batch_park *park;
} net_model;

/* A batch's operator: the Jacobian on `view`, which it owns. */
struct batch_jacobian {
  js_linop *jacobian;
  js_dataset *view;
  batch_park *park;        /* a holder while the operator lives, or NULL */
};

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

static void batch_destroy(batch_jacobian *bj) {
  if (!bj)
    return;
  js_linop_free(bj->jacobian);
  js_dataset_free(bj->view);
  free(bj);
}

/* One holder fewer; the last one frees the park and what waits in it. */
static void park_leave(batch_park *park) {
  if (park && --park->holders == 0) {
    batch_destroy(park->parked);
    free(park);
  }
}

/* The operator's end: its Jacobian waits in the park while the model
 * lives (replacing any older one), unless it cannot be aimed anew (a
 * mixed pair, a shard); else it is freed. */
static void batch_free(void *ctx) {
  batch_jacobian *bj = ctx;
  batch_park *park = bj->park;
  bj->park = NULL;
  if (park && park->holders > 1 && js_jacobian_can_reaim(bj->jacobian)) {
    batch_destroy(park->parked);
    park->parked = bj;
  } else {
    batch_destroy(bj);
  }
  park_leave(park);
}

/* The parked Jacobian, aimed at theta and the batch's inputs, when one
 * of n_batch samples waits; else a new one. Either way bj->view holds the
 * batch. */
static int batch_take(net_model *nm, const double *theta, const int64_t *samples,
                      int64_t n_batch, double *f, batch_jacobian **out) {
  const js_dataset *data = nm->data;
  batch_jacobian *bj = nm->park->parked;
  int reuse = bj && bj->view->n_samples == n_batch;
  if (reuse)
    nm->park->parked = NULL;
  else if (!(bj = js_alloc(1, sizeof *bj, "batch Jacobian")))
    return JS_ENOMEM;
  *out = bj;
  int status = reuse ? JS_OK : js_dataset_create(n_batch, data->dim, data->n_outputs, 0,
                                                 &bj->view);
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
    status = reuse ? js_jacobian_reaim(bj->jacobian, theta, bj->view, f)
                   : js_jacobian_create_outputs(nm->net, theta, bj->view, &nm->opt, f,
                                                &bj->jacobian);
  return status;
}

static int net_jacobian(void *ctx, const double *theta, const int64_t *samples,
                        int64_t n_batch, double *f, js_linop **op) {
  net_model *nm = ctx;
  *op = NULL;
  if (!samples) { /* the whole data's Jacobian: a waiting batch's memory goes first */
    batch_destroy(nm->park->parked);
    nm->park->parked = NULL;
    return js_jacobian_create_outputs(nm->net, theta, nm->data, &nm->opt, f, op);
  }
  batch_jacobian *bj = NULL;
  int status = batch_take(nm, theta, samples, n_batch, f, &bj);
  if (status == JS_OK)
    status = js_linop_create(n_batch * nm->data->n_outputs, nm->net->n_theta, batch_apply, bj,
                             op);
  if (status) {
    batch_destroy(bj);
    return status;
  }
  bj->park = nm->park;
  nm->park->holders++;
  js_linop_set_ctx_free(*op, batch_free);
  return JS_OK;
}

static void net_model_free(void *ctx) {
  net_model *nm = ctx;
  if (!nm)
    return;
  park_leave(nm->park);
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
  nm->park = js_alloc(1, sizeof *nm->park, "batch Jacobian park");
  if (!nm->values || !nm->park) {
    free(nm->values);
    free(nm->park);
    free(nm);
    return JS_ENOMEM;
  }
  *nm->park = (batch_park){.holders = 1};
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

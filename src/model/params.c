/* The parameter table: named tensors in one buffer of values, which of
 * them are trained (theta), and their initialisation. */
#include "model/graph.h"

#include "core/error.h"
#include "core/rng.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void js_graph_layout_theta(js_net *net) {
  net->n_theta = 0;
  for (int t = 0; t < net->n_params_tensors; t++) {
    js_param *p = &net->params[t];
    p->theta_offset = p->trained ? net->n_theta : -1;
    if (p->trained)
      net->n_theta += p->size;
  }
}

int js_net_n_tensors(const js_net *net) { return net->n_params_tensors; }

int js_net_tensor_info(const js_net *net, int index, js_tensor_info *out) {
  if (!net || !out || index < 0 || index >= net->n_params_tensors)
    return js_fail(JS_EINVAL, "js_net_tensor_info: tensor %d does not exist", index);
  const js_param *p = &net->params[index];
  *out = (js_tensor_info){.name = p->name, .ndim = p->ndim, .size = p->size,
                          .trained = p->trained, .theta_offset = p->theta_offset,
                          .init = p->init};
  memcpy(out->shape, p->shape, sizeof p->shape);
  return JS_OK;
}

int js_net_find_tensor(const js_net *net, const char *name) {
  for (int t = 0; net && name && t < net->n_params_tensors; t++)
    if (strcmp(net->params[t].name, name) == 0)
      return t;
  return -1;
}

const double *js_net_tensor(const js_net *net, int index) {
  if (!net || index < 0 || index >= net->n_params_tensors)
    return NULL;
  return net->values + net->params[index].offset;
}

double *js_net_tensor_mut(js_net *net, int index) {
  if (!net || index < 0 || index >= net->n_params_tensors)
    return NULL;
  return net->values + net->params[index].offset;
}

int js_net_set_init(js_net *net, int index, js_init init) {
  if (!net || index < 0 || index >= net->n_params_tensors)
    return js_fail(JS_EINVAL, "js_net_set_init: tensor %d does not exist", index);
  if ((int)init.kind < JS_INIT_ZEROS || init.kind > JS_INIT_UNIFORM_FAN || !isfinite(init.scale))
    return js_fail(JS_EINVAL, "js_net_set_init: initialiser %d with scale %g is not valid",
                   (int)init.kind, init.scale);
  net->params[index].init = init;
  return JS_OK;
}

/* Marks the tensors matching `pattern` (of length len) trained; returns
 * how many matched. */
static int mark(js_net *net, const char *pattern, size_t len) {
  char glob[256];
  snprintf(glob, sizeof glob, "%.*s", (int)len, pattern);
  if (strcmp(glob, "all") == 0)
    snprintf(glob, sizeof glob, "*");
  int matched = 0;
  for (int t = 0; t < net->n_params_tensors; t++)
    if (fnmatch(glob, net->params[t].name, 0) == 0) {
      net->params[t].trained = 1;
      matched++;
    }
  return matched;
}

int js_net_set_trained(js_net *net, const char *patterns) {
  if (!net || !patterns)
    return js_fail(JS_EINVAL, "js_net_set_trained: %s is NULL", net ? "patterns" : "network");
  int *saved = js_alloc((size_t)net->n_params_tensors, sizeof *saved, "train flags");
  if (!saved)
    return JS_ENOMEM;
  for (int t = 0; t < net->n_params_tensors; t++) {
    saved[t] = net->params[t].trained;
    net->params[t].trained = 0;
  }
  int status = JS_OK;
  for (const char *p = patterns; status == JS_OK;) {
    size_t len = strcspn(p, ",");
    if (len == 0 || len >= 256)
      status = js_fail(JS_EINVAL, "train patterns '%s': %s", patterns,
                       len ? "a pattern is longer than 255 characters" : "an empty pattern");
    else if (mark(net, p, len) == 0)
      status = js_fail(JS_EINVAL, "train pattern '%.*s' matches no parameter tensor "
                       "(--list-params shows them)", (int)len, p);
    if (p[len] == '\0')
      break;
    p += len + 1;
  }
  if (status == JS_OK) {
    js_graph_layout_theta(net);
    if (net->n_theta == 0)
      status = js_fail(JS_EINVAL, "train patterns '%s': no parameter would be trained",
                       patterns);
  }
  if (status) {
    for (int t = 0; t < net->n_params_tensors; t++)
      net->params[t].trained = saved[t];
    js_graph_layout_theta(net);
  }
  free(saved);
  return status;
}

int js_net_initialize(js_net *net, uint64_t seed) {
  if (!net)
    return js_fail(JS_EINVAL, "js_net_initialize: network is NULL");
  js_rng rng;
  js_rng_seed(&rng, seed);
  for (int t = 0; t < net->n_params_tensors; t++) {
    const js_param *p = &net->params[t];
    double *w = net->values + p->offset;
    double fan_in = (double)(p->fan_in > 0 ? p->fan_in : 1);
    switch (p->init.kind) {
    case JS_INIT_ZEROS:
    case JS_INIT_ONES:
      for (int64_t i = 0; i < p->size; i++)
        w[i] = p->init.kind == JS_INIT_ONES;
      break;
    case JS_INIT_RADEMACHER:
      for (int64_t i = 0; i < p->size; i++)
        w[i] = js_rng_sign(&rng) * p->init.scale;
      break;
    case JS_INIT_NORMAL:
    case JS_INIT_HE:
    case JS_INIT_LECUN: {
      double scale = p->init.kind == JS_INIT_NORMAL ? p->init.scale
                     : p->init.kind == JS_INIT_HE   ? sqrt(2.0 / fan_in)
                                                    : sqrt(1.0 / fan_in);
      for (int64_t i = 0; i < p->size; i++)
        w[i] = js_rng_normal(&rng) * scale;
      break;
    }
    case JS_INIT_UNIFORM_FAN: {
      double bound = p->init.scale / sqrt(fan_in);
      for (int64_t i = 0; i < p->size; i++)
        w[i] = (2.0 * js_rng_uniform(&rng) - 1.0) * bound;
      break;
    }
    }
  }
  return JS_OK;
}

void js_net_get_params(const js_net *net, double *theta) {
  for (int t = 0; t < net->n_params_tensors; t++) {
    const js_param *p = &net->params[t];
    if (p->trained)
      memcpy(theta + p->theta_offset, net->values + p->offset, sizeof(double) * (size_t)p->size);
  }
}

void js_net_set_params(js_net *net, const double *theta) {
  js_graph_scatter_theta(net, theta, net->values);
}

void js_graph_scatter_theta(const js_net *net, const double *theta, double *values) {
  for (int t = 0; t < net->n_params_tensors; t++) {
    const js_param *p = &net->params[t];
    if (p->trained)
      memcpy(values + p->offset, theta + p->theta_offset, sizeof(double) * (size_t)p->size);
  }
}

/* The layer graph: adding nodes (each checked against its inputs' shapes
 * when it is added, so a graph that exists is consistent), the parameter
 * table and theta. The ops never check shapes; this file does. */
#include "model/graph.h"

#include "core/error.h"
#include "model/activation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int js_net_create(const js_shape *input, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_create: output pointer is NULL");
  *out = NULL;
  if (!input || (input->ndim != 1 && input->ndim != 3))
    return js_fail(JS_EINVAL, "js_net_create: the input shape must have 1 or 3 dimensions "
                   "((d) or (C, H, W))");
  int64_t size = 1;
  for (int a = 0; a < input->ndim; a++) {
    if (input->dim[a] < 1 || input->dim[a] > (INT64_C(1) << 40) / size)
      return js_fail(JS_EINVAL, "js_net_create: input dimension %d is %lld: each must be "
                     ">= 1 and the sample at most 2^40 entries", a, (long long)input->dim[a]);
    size *= input->dim[a];
  }
  js_net *net = js_alloc(1, sizeof *net, "network");
  if (!net)
    return JS_ENOMEM;
  net->nodes = js_alloc(8, sizeof *net->nodes, "network nodes");
  if (!net->nodes) {
    free(net);
    return JS_ENOMEM;
  }
  net->nodes_cap = 8;
  net->n_nodes = 1;
  net->nodes[0] = (js_node){.kind = JS_OP_INPUT, .shape = *input, .size = size,
                            .param = {-1, -1}, .input = {-1, -1}};
  *out = net;
  return JS_OK;
}

int js_net_clone(const js_net *net, js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_clone: output pointer is NULL");
  *out = NULL;
  if (!net)
    return js_fail(JS_EINVAL, "js_net_clone: network is NULL");
  js_net *copy = js_alloc(1, sizeof *copy, "network copy");
  if (!copy)
    return JS_ENOMEM;
  *copy = *net;
  copy->nodes = js_alloc((size_t)net->nodes_cap, sizeof *copy->nodes, "network copy");
  copy->params = js_alloc((size_t)(net->params_cap ? net->params_cap : 1), sizeof *copy->params,
                          "network copy");
  copy->values = js_alloc((size_t)(net->n_values ? net->n_values : 1), sizeof(double),
                          "network copy");
  copy->n_params_tensors = 0; /* names are copied one by one below */
  int ok = copy->nodes && copy->params && copy->values;
  for (int t = 0; ok && t < net->n_params_tensors; t++) {
    copy->params[t] = net->params[t];
    ok = (copy->params[t].name = strdup(net->params[t].name)) != NULL;
    copy->n_params_tensors += ok;
  }
  if (!ok) {
    js_net_free(copy);
    return js_fail(JS_ENOMEM, "js_net_clone: out of memory");
  }
  memcpy(copy->nodes, net->nodes, sizeof *net->nodes * (size_t)net->n_nodes);
  memcpy(copy->values, net->values, sizeof(double) * (size_t)net->n_values);
  *out = copy;
  return JS_OK;
}

void js_net_free(js_net *net) {
  if (!net)
    return;
  for (int t = 0; t < net->n_params_tensors; t++)
    free(net->params[t].name);
  free(net->params);
  free(net->nodes);
  free(net->values);
  free(net);
}

static int64_t shape_size(const js_shape *s) {
  int64_t size = 1;
  for (int a = 0; a < s->ndim; a++)
    size *= s->dim[a];
  return size;
}

/* Checks `input` names an existing node (of 3 dimensions when `image`). */
static int check_input(const js_net *net, int input, int image, const char *what) {
  if (!net)
    return js_fail(JS_EINVAL, "%s: network is NULL", what);
  if (input < 0 || input >= net->n_nodes)
    return js_fail(JS_EINVAL, "%s: input node %d does not exist (nodes 0..%d)", what, input,
                   net->n_nodes - 1);
  if (image && net->nodes[input].shape.ndim != 3)
    return js_fail(JS_EINVAL, "%s: input node %d is flat (%lld entries); it needs an image "
                   "(C, H, W)", what, input, (long long)net->nodes[input].size);
  return JS_OK;
}

/* Appends a node of `kind` on `input` with output `shape`; returns its id. */
static int append(js_net *net, js_op_kind kind, int input, js_shape shape) {
  if (net->n_nodes == net->nodes_cap) {
    if (net->nodes_cap > (1 << 20))
      return js_fail(JS_ELIMIT, "network: more than 2^20 nodes");
    js_node *bigger = realloc(net->nodes, sizeof *bigger * (size_t)net->nodes_cap * 2);
    if (!bigger)
      return js_fail(JS_ENOMEM, "network: cannot grow the node list");
    net->nodes = bigger;
    net->nodes_cap *= 2;
  }
  const js_node *in = &net->nodes[input];
  js_node *node = &net->nodes[net->n_nodes];
  *node = (js_node){.kind = kind, .n_inputs = 1, .input = {input, -1}, .in_shape = in->shape,
                    .in_size = in->size, .shape = shape, .size = shape_size(&shape),
                    .param = {-1, -1}};
  net->output = net->n_nodes;
  return net->n_nodes++;
}

/* "<layer>.<suffix>" into name (JS_EINVAL when too long). */
static int tensor_name(char *name, size_t size, const char *layer, const char *suffix) {
  if (snprintf(name, size, "%s.%s", layer, suffix) >= (int)size)
    return js_fail(JS_EINVAL, "network: layer name '%s' is too long", layer);
  return JS_OK;
}

/* Declares tensor `name` of the given shape as slot 0 or 1 of node id's
 * param[]. */
static int add_param(js_net *net, int id, int slot, const char *name, int ndim,
                     const int64_t *shape, js_init init, int64_t fan_in) {
  if (js_net_find_tensor(net, name) >= 0)
    return js_fail(JS_EINVAL, "network: a tensor named '%s' exists already", name);
  int64_t size = 1;
  for (int a = 0; a < ndim; a++)
    size *= shape[a];
  if (size > (INT64_C(1) << 40) - net->n_values)
    return js_fail(JS_ELIMIT, "network: tensor '%s' would take the parameters past 2^40", name);
  if (net->n_params_tensors == net->params_cap) {
    int cap = net->params_cap ? 2 * net->params_cap : 8;
    js_param *bigger = realloc(net->params, sizeof *bigger * (size_t)cap);
    if (!bigger)
      return js_fail(JS_ENOMEM, "network: cannot grow the parameter table");
    net->params = bigger;
    net->params_cap = cap;
  }
  double *values = realloc(net->values, sizeof(double) * (size_t)(net->n_values + size));
  if (!values)
    return js_fail(JS_ENOMEM, "network: cannot allocate %.3g MiB for tensor '%s'",
                   (double)size * 8.0 / 1048576.0, name);
  net->values = values;
  memset(values + net->n_values, 0, sizeof(double) * (size_t)size);
  js_param *p = &net->params[net->n_params_tensors];
  *p = (js_param){.name = strdup(name), .ndim = ndim, .size = size, .offset = net->n_values,
                  .trained = 1, .init = init, .fan_in = fan_in};
  if (!p->name)
    return js_fail(JS_ENOMEM, "network: cannot copy the name '%s'", name);
  memcpy(p->shape, shape, sizeof(int64_t) * (size_t)ndim);
  net->n_values += size;
  net->nodes[id].param[slot] = net->n_params_tensors++;
  js_graph_layout_theta(net);
  return JS_OK;
}

/* A node added but whose parameters could not be: drop it again. */
static int undo(js_net *net, int id, int status) {
  if (net->n_nodes == id + 1) {
    net->n_nodes = id;
    net->output = id - 1;
  }
  return status;
}

static int check_name(const char *name, const char *what) {
  if (!name || !*name)
    return js_fail(JS_EINVAL, "%s: the layer needs a name (its tensors are NAME.weight ...)",
                   what);
  return JS_OK;
}

int js_graph_add_dense(js_net *net, int input, int64_t n_out, const char *weight_name,
                       const char *bias_name) {
  int rc = check_input(net, input, 0, "dense layer");
  if (rc)
    return rc;
  int64_t n_in = net->nodes[input].size;
  if (n_out < 1 || n_out > (INT64_C(1) << 40) / n_in)
    return js_fail(JS_EINVAL, "dense layer '%s': %lld outputs of %lld inputs: need >= 1 "
                   "and a weight of at most 2^40 entries", weight_name, (long long)n_out,
                   (long long)n_in);
  int id = append(net, JS_OP_DENSE, input, (js_shape){1, {n_out, 0, 0}});
  if (id < 0)
    return id;
  int64_t wshape[2] = {n_out, n_in};
  rc = add_param(net, id, 0, weight_name, 2, wshape, (js_init){JS_INIT_LECUN, 0}, n_in);
  if (!rc && bias_name)
    rc = add_param(net, id, 1, bias_name, 1, &n_out, (js_init){JS_INIT_ZEROS, 0}, n_in);
  return rc ? undo(net, id, rc) : id;
}

int js_net_add_dense(js_net *net, int input, int64_t n_out, int bias, const char *name) {
  char weight[256], bias_name[256];
  int rc = check_name(name, "dense layer");
  if (rc || (rc = tensor_name(weight, sizeof weight, name, "weight")) ||
      (rc = tensor_name(bias_name, sizeof bias_name, name, "bias")))
    return rc;
  return js_graph_add_dense(net, input, n_out, weight, bias ? bias_name : NULL);
}

void js_conv2d_options_init_defaults(js_conv2d_options *opt) {
  *opt = (js_conv2d_options){.filters = 0, .kernel = {3, 3}, .stride = {1, 1},
                             .pad = {1, 1, 1, 1}, .dilation = {1, 1}, .bias = 1};
}

void js_pool_options_init_defaults(js_pool_options *opt) {
  *opt = (js_pool_options){.kind = JS_POOL_AVG, .kernel = {2, 2}, .stride = {2, 2}};
}

/* The output (H', W') of a window over (H, W); JS_EINVAL naming `what`
 * when an entry is out of range or the output would be empty. */
static int window_output(const js_window *w, const js_shape *in, const char *what,
                         int64_t out[2]) {
  for (int a = 0; a < 2; a++) {
    int64_t kernel = w->kernel[a], stride = w->stride[a], dilation = w->dilation[a];
    int64_t pad_lo = w->pad[a], pad_hi = w->pad[a + 2];
    if (kernel < 1 || stride < 1 || dilation < 1 || pad_lo < 0 || pad_hi < 0 ||
        kernel > 4096 || stride > 4096 || dilation > 4096 || pad_lo > 4096 || pad_hi > 4096)
      return js_fail(JS_EINVAL, "%s: kernel %lld, stride %lld, dilation %lld and padding "
                     "%lld/%lld: need kernel, stride, dilation in 1..4096, padding in "
                     "0..4096", what, (long long)kernel, (long long)stride,
                     (long long)dilation, (long long)pad_lo, (long long)pad_hi);
    int64_t span = dilation * (kernel - 1) + 1;
    int64_t room = in->dim[a + 1] + pad_lo + pad_hi;
    if (room < span)
      return js_fail(JS_EINVAL, "%s: a %lld-wide window does not fit an input of %lld %s "
                     "(%lld with padding): the output would be empty", what, (long long)span,
                     (long long)in->dim[a + 1], a ? "columns" : "rows", (long long)room);
    out[a] = (room - span) / stride + 1;
  }
  return JS_OK;
}

int js_graph_add_conv2d(js_net *net, int input, const js_conv2d_options *opt,
                        const char *weight_name, const char *bias_name) {
  int rc = check_input(net, input, 1, "conv2d layer");
  if (rc)
    return rc;
  if (!opt)
    return js_fail(JS_EINVAL, "conv2d layer '%s': options are NULL", weight_name);
  /* A copy: append() may move the node list. */
  const js_shape in_shape = net->nodes[input].shape, *in = &in_shape;
  char what[300];
  snprintf(what, sizeof what, "conv2d layer '%s'", weight_name);
  if (opt->filters < 1 || opt->filters > (1 << 20))
    return js_fail(JS_EINVAL, "%s: %lld filters: need 1..2^20", what, (long long)opt->filters);
  js_window w = {.kernel = {opt->kernel[0], opt->kernel[1]},
                 .stride = {opt->stride[0], opt->stride[1]},
                 .pad = {opt->pad[0], opt->pad[1], opt->pad[2], opt->pad[3]},
                 .dilation = {opt->dilation[0], opt->dilation[1]}};
  int64_t hw[2];
  if ((rc = window_output(&w, in, what, hw)))
    return rc;
  /* Before append, which may move the nodes `in` points into. */
  int64_t wshape[4] = {opt->filters, in->dim[0], w.kernel[0], w.kernel[1]};
  int64_t fan_in = in->dim[0] * w.kernel[0] * w.kernel[1];
  int id = append(net, JS_OP_CONV2D, input, (js_shape){3, {opt->filters, hw[0], hw[1]}});
  if (id < 0)
    return id;
  net->nodes[id].window = w;
  rc = add_param(net, id, 0, weight_name, 4, wshape, (js_init){JS_INIT_HE, 0}, fan_in);
  if (!rc && bias_name)
    rc = add_param(net, id, 1, bias_name, 1, &opt->filters, (js_init){JS_INIT_ZEROS, 0},
                   fan_in);
  return rc ? undo(net, id, rc) : id;
}

int js_net_add_conv2d(js_net *net, int input, const js_conv2d_options *opt,
                      const char *name) {
  char weight[256], bias[256];
  int rc = check_name(name, "conv2d layer");
  if (rc || (rc = tensor_name(weight, sizeof weight, name, "weight")) ||
      (rc = tensor_name(bias, sizeof bias, name, "bias")))
    return rc;
  return js_graph_add_conv2d(net, input, opt, weight, opt && opt->bias ? bias : NULL);
}

int js_net_add_activation(js_net *net, int input, js_activation act) {
  int rc = check_input(net, input, 0, "activation");
  if (rc || (rc = js_activation_check(act, "activation")))
    return rc;
  int id = append(net, JS_OP_ACTIVATION, input, net->nodes[input].shape);
  if (id >= 0)
    net->nodes[id].act = act;
  return id;
}

int js_net_add_pool(js_net *net, int input, const js_pool_options *opt) {
  int rc = check_input(net, input, 1, "pooling");
  if (rc)
    return rc;
  if (!opt || (opt->kind != JS_POOL_AVG && opt->kind != JS_POOL_MAX))
    return js_fail(JS_EINVAL, "pooling: %s", opt ? "the kind is neither average nor max"
                                                 : "options are NULL");
  js_window w = {.kernel = {opt->kernel[0], opt->kernel[1]},
                 .stride = {opt->stride[0], opt->stride[1]},
                 .pad = {opt->pad[0], opt->pad[1], opt->pad[2], opt->pad[3]},
                 .dilation = {1, 1}, .count_include_pad = opt->count_include_pad};
  const js_shape *in = &net->nodes[input].shape;
  int64_t hw[2];
  if ((rc = window_output(&w, in, opt->kind == JS_POOL_MAX ? "max pooling" : "average pooling",
                          hw)))
    return rc;
  for (int a = 0; a < 2; a++)
    if (w.pad[a] >= w.kernel[a] || w.pad[a + 2] >= w.kernel[a])
      return js_fail(JS_EINVAL, "pooling: padding %lld/%lld must be smaller than the kernel "
                     "%lld (a window would hold only padding)", (long long)w.pad[a],
                     (long long)w.pad[a + 2], (long long)w.kernel[a]);
  if (opt->kind == JS_POOL_MAX && net->nodes[input].size > INT32_MAX)
    return js_fail(JS_EINVAL, "max pooling: an input of %lld values per sample is beyond "
                   "the int32 positions it keeps", (long long)net->nodes[input].size);
  int id = append(net, opt->kind == JS_POOL_MAX ? JS_OP_MAXPOOL : JS_OP_AVGPOOL, input,
                  (js_shape){3, {in->dim[0], hw[0], hw[1]}});
  if (id >= 0)
    net->nodes[id].window = w;
  return id;
}

int js_net_add_global_avgpool(js_net *net, int input) {
  int rc = check_input(net, input, 1, "global average pooling");
  if (rc)
    return rc;
  return append(net, JS_OP_GLOBAL_AVGPOOL, input,
                (js_shape){3, {net->nodes[input].shape.dim[0], 1, 1}});
}

int js_net_add_flatten(js_net *net, int input) {
  int rc = check_input(net, input, 0, "flatten");
  if (rc)
    return rc;
  return append(net, JS_OP_FLATTEN, input, (js_shape){1, {net->nodes[input].size, 0, 0}});
}

int js_net_add_pad(js_net *net, int input, const int64_t pad[4]) {
  int rc = check_input(net, input, 1, "padding");
  if (rc)
    return rc;
  if (!pad)
    return js_fail(JS_EINVAL, "padding: the pads are NULL");
  for (int a = 0; a < 4; a++)
    if (pad[a] < 0 || pad[a] > 4096)
      return js_fail(JS_EINVAL, "padding: pad %lld is outside 0..4096", (long long)pad[a]);
  const js_shape *in = &net->nodes[input].shape;
  int id = append(net, JS_OP_PAD, input,
                  (js_shape){3, {in->dim[0], in->dim[1] + pad[0] + pad[2],
                                 in->dim[2] + pad[1] + pad[3]}});
  if (id >= 0)
    memcpy(net->nodes[id].window.pad, pad, sizeof(int64_t) * 4);
  return id;
}

static int same_shape(const js_shape *a, const js_shape *b) {
  if (a->ndim != b->ndim)
    return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dim[i] != b->dim[i])
      return 0;
  return 1;
}

int js_net_add_sum(js_net *net, int a, int b) {
  int rc = check_input(net, a, 0, "sum");
  if (rc || (rc = check_input(net, b, 0, "sum")))
    return rc;
  char sa[64], sb[64];
  if (!same_shape(&net->nodes[a].shape, &net->nodes[b].shape)) {
    js_shape_format(&net->nodes[a].shape, sa, sizeof sa);
    js_shape_format(&net->nodes[b].shape, sb, sizeof sb);
    return js_fail(JS_EINVAL, "sum of nodes %d %s and %d %s: the shapes differ", a, sa, b, sb);
  }
  int id = append(net, JS_OP_ADD, a, net->nodes[a].shape);
  if (id >= 0) {
    net->nodes[id].n_inputs = 2;
    net->nodes[id].input[1] = b;
  }
  return id;
}

int js_graph_add_affine(js_net *net, int input, const char *scale_name,
                        const char *shift_name) {
  int rc = check_input(net, input, 0, "affine layer");
  if (rc)
    return rc;
  const js_shape *in = &net->nodes[input].shape;
  int64_t channels = in->dim[0];
  int id = append(net, JS_OP_AFFINE, input, *in);
  if (id < 0)
    return id;
  rc = add_param(net, id, 0, scale_name, 1, &channels, (js_init){JS_INIT_ONES, 0}, 1);
  if (!rc)
    rc = add_param(net, id, 1, shift_name, 1, &channels, (js_init){JS_INIT_ZEROS, 0}, 1);
  return rc ? undo(net, id, rc) : id;
}

int js_net_add_affine(js_net *net, int input, const char *name) {
  char scale[256], shift[256];
  int rc = check_name(name, "affine layer");
  if (rc || (rc = tensor_name(scale, sizeof scale, name, "scale")) ||
      (rc = tensor_name(shift, sizeof shift, name, "shift")))
    return rc;
  return js_graph_add_affine(net, input, scale, shift);
}

int js_net_set_output(js_net *net, int node) {
  int rc = check_input(net, node, 0, "js_net_set_output");
  if (rc)
    return rc;
  if (node == 0)
    return js_fail(JS_EINVAL, "js_net_set_output: the output cannot be the input node");
  net->output = node;
  return JS_OK;
}

js_shape js_net_input_shape(const js_net *net) { return net->nodes[0].shape; }
int64_t js_net_n_outputs(const js_net *net) { return net->nodes[net->output].size; }
int64_t js_net_n_params(const js_net *net) { return net->n_theta; }

void js_shape_format(const js_shape *s, char *buf, size_t size) {
  if (s->ndim == 3)
    snprintf(buf, size, "(%lld, %lld, %lld)", (long long)s->dim[0], (long long)s->dim[1],
             (long long)s->dim[2]);
  else
    snprintf(buf, size, "(%lld)", (long long)s->dim[0]);
}

static const char *const op_names[JS_OP_COUNT] = {
    [JS_OP_INPUT] = "input",          [JS_OP_DENSE] = "dense",
    [JS_OP_CONV2D] = "conv2d",        [JS_OP_ACTIVATION] = "activation",
    [JS_OP_AVGPOOL] = "avgpool",      [JS_OP_MAXPOOL] = "maxpool",
    [JS_OP_GLOBAL_AVGPOOL] = "global_avgpool", [JS_OP_FLATTEN] = "flatten",
    [JS_OP_ADD] = "sum",              [JS_OP_AFFINE] = "affine",
    [JS_OP_PAD] = "pad"};

size_t js_net_describe(const js_net *net, char *buf, size_t size) {
  size_t used = 0;
  for (int i = 0; i < net->n_nodes; i++) {
    const js_node *node = &net->nodes[i];
    char shape[64], line[512], act[32] = "";
    js_shape_format(&node->shape, shape, sizeof shape);
    if (node->kind == JS_OP_ACTIVATION)
      js_activation_name(node->act, act, sizeof act);
    int n = snprintf(line, sizeof line, "%3d %-14s %s", i, op_names[node->kind], act);
    for (int t = 0; t < node->n_inputs; t++)
      n += snprintf(line + n, sizeof line - (size_t)n, "%s%d", t ? "," : " <- ",
                    node->input[t]);
    n += snprintf(line + n, sizeof line - (size_t)n, "  %s", shape);
    for (int s = 0; s < 2; s++)
      if (node->param[s] >= 0 && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  %s",
                      net->params[node->param[s]].name);
    if (i == net->output && n < (int)sizeof line)
      snprintf(line + n, sizeof line - (size_t)n, "  -> f");
    int len = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0,
                       "%s\n", line);
    used += (size_t)len;
  }
  if (used >= size && size > 0)
    buf[size - 1] = '\0';
  return used;
}

/* js_net_save_onnx: every node of the network as standard ONNX ops (opset
 * 13), its tensors as DOUBLE initializers under their own names, so that
 * js_net_load_onnx reads the same function and names back (README "ONNX
 * models" lists what each node becomes). Values are named "jacspec/nI"
 * and extra constants "jacspec/nI/what": a prefix no initializer jacspec
 * reads or builds is expected to have, since ONNX needs every name unique.
 *
 * Everything the messages point to is allocated through own(), one list
 * freed at the end, so each error path is one `failed` flag. */
#include "model/graph.h"

#include "core/error.h"
#include "model/onnx/onnx.pb-c.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPSET 13
#define IR_VERSION 7 /* the IR of opset 13 */

typedef struct writer {
  const js_net *net;
  void **nodes; /* Onnx__NodeProto * */
  size_t n_nodes, nodes_cap;
  void **inits; /* Onnx__TensorProto * */
  size_t n_inits, inits_cap;
  void **owned;
  size_t n_owned, owned_cap;
  int failed;
} writer;

/* Appends p to an array of pointers (grown by doubling); 0 on failure. */
static int push(void ***list, size_t *n, size_t *cap, void *p) {
  if (*n == *cap) {
    size_t bigger = *cap ? 2 * *cap : 32;
    void **grown = realloc(*list, sizeof *grown * bigger);
    if (!grown)
      return 0;
    *list = grown;
    *cap = bigger;
  }
  (*list)[(*n)++] = p;
  return 1;
}

/* Zeroed memory owned by the writer (NULL, and failed set, when out). */
static void *own(writer *w, size_t size) {
  void *p = w->failed ? NULL : calloc(1, size ? size : 1);
  if (p && !push(&w->owned, &w->n_owned, &w->owned_cap, p)) {
    free(p);
    p = NULL;
  }
  w->failed |= p == NULL;
  return p;
}

static char *own_printf(writer *w, const char *fmt, ...) JS_PRINTF(2, 3);
static char *own_printf(writer *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = own(w, (size_t)n + 1);
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

/* The value node i computes. */
static char *value_name(writer *w, int i) {
  return i == 0 ? own_printf(w, "input") : own_printf(w, "jacspec/n%d", i);
}

static Onnx__NodeProto *add_node(writer *w, const char *op, const char *name, int n_in,
                                 char *const *inputs, char *output) {
  Onnx__NodeProto *node = own(w, sizeof *node);
  char **in = own(w, sizeof(char *) * (size_t)n_in), **out = own(w, sizeof(char *));
  char *op_copy = own_printf(w, "%s", op), *name_copy = own_printf(w, "%s", name);
  if (w->failed)
    return NULL;
  Onnx__NodeProto init = ONNX__NODE_PROTO__INIT;
  *node = init;
  memcpy(in, inputs, sizeof(char *) * (size_t)n_in);
  out[0] = output;
  node->n_input = (size_t)n_in;
  node->input = in;
  node->n_output = 1;
  node->output = out;
  node->op_type = op_copy;
  node->name = name_copy;
  if (!push(&w->nodes, &w->n_nodes, &w->nodes_cap, node))
    w->failed = 1;
  return w->failed ? NULL : node;
}

static Onnx__AttributeProto *add_attribute(writer *w, Onnx__NodeProto *node, const char *name,
                                           Onnx__AttributeProto__AttributeType type) {
  Onnx__AttributeProto *a = own(w, sizeof *a);
  Onnx__AttributeProto **list = own(w, sizeof *list * (node ? node->n_attribute + 1 : 1));
  char *copy = own_printf(w, "%s", name);
  if (w->failed || !node)
    return NULL;
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  *a = init;
  a->name = copy;
  a->has_type = 1;
  a->type = type;
  if (node->n_attribute) /* memcpy from NULL is undefined even for 0 bytes */
    memcpy(list, node->attribute, sizeof *list * node->n_attribute);
  list[node->n_attribute++] = a;
  node->attribute = list;
  return a;
}

static void attr_int(writer *w, Onnx__NodeProto *node, const char *name, int64_t v) {
  Onnx__AttributeProto *a = add_attribute(w, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  if (a) {
    a->has_i = 1;
    a->i = v;
  }
}

static void attr_float(writer *w, Onnx__NodeProto *node, const char *name, float v) {
  Onnx__AttributeProto *a =
      add_attribute(w, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  if (a) {
    a->has_f = 1;
    a->f = v;
  }
}

static void attr_ints(writer *w, Onnx__NodeProto *node, const char *name, size_t n,
                      const int64_t *v) {
  Onnx__AttributeProto *a = add_attribute(w, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  int64_t *copy = own(w, sizeof(int64_t) * n);
  if (a && copy) {
    memcpy(copy, v, sizeof(int64_t) * n);
    a->n_ints = n;
    a->ints = copy;
  }
}

/* An initializer: DOUBLE values (data non-NULL) or INT64 ones. */
static char *add_init(writer *w, char *name, int ndim, const int64_t *dims, const double *data,
                      const int64_t *ints) {
  Onnx__TensorProto *t = own(w, sizeof *t);
  int64_t size = 1;
  for (int a = 0; a < ndim; a++)
    size *= dims[a];
  int64_t *dims_copy = own(w, sizeof(int64_t) * (size_t)(ndim ? ndim : 1));
  void *values = own(w, 8 * (size_t)size);
  if (w->failed || !name)
    return NULL;
  Onnx__TensorProto init = ONNX__TENSOR_PROTO__INIT;
  *t = init;
  t->name = name;
  if (ndim) /* a scalar has no dims (and dims may be NULL) */
    memcpy(dims_copy, dims, sizeof(int64_t) * (size_t)ndim);
  t->n_dims = (size_t)ndim;
  t->dims = dims_copy;
  t->has_data_type = 1;
  memcpy(values, data ? (const void *)data : (const void *)ints, 8 * (size_t)size);
  if (data) {
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    t->n_double_data = (size_t)size;
    t->double_data = values;
  } else {
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->n_int64_data = (size_t)size;
    t->int64_data = values;
  }
  if (!push(&w->inits, &w->n_inits, &w->inits_cap, t))
    w->failed = 1;
  return name;
}

/* Parameter tensor `index` as an initializer of its own name; shape, if
 * given, replaces its own (the (C, 1, 1) of an affine on an image). */
static char *param_init(writer *w, int index, int ndim, const int64_t *shape) {
  const js_param *p = &w->net->params[index];
  return add_init(w, own_printf(w, "%s", p->name), shape ? ndim : p->ndim,
                  shape ? shape : p->shape, w->net->values + p->offset, NULL);
}

static char *scalar_init(writer *w, int i, const char *what, double value) {
  return add_init(w, own_printf(w, "jacspec/n%d/%s", i, what), 0, NULL, &value, NULL);
}

/* The ONNX window attributes of a conv or pooling node. */
static void window_attrs(writer *w, Onnx__NodeProto *node, const js_window *win, int dilation) {
  attr_ints(w, node, "kernel_shape", 2, win->kernel);
  attr_ints(w, node, "strides", 2, win->stride);
  attr_ints(w, node, "pads", 4, win->pad); /* top, left, bottom, right: ONNX's order too */
  if (dilation)
    attr_ints(w, node, "dilations", 2, win->dilation);
}

static void write_activation(writer *w, int i, const js_node *n, char *x, char *out) {
  char *name = own_printf(w, "n%d", i);
  switch (n->act.kind) {
  case JS_ACT_RELU: add_node(w, "Relu", name, 1, &x, out); return;
  case JS_ACT_TANH: add_node(w, "Tanh", name, 1, &x, out); return;
  case JS_ACT_SIGMOID: add_node(w, "Sigmoid", name, 1, &x, out); return;
  case JS_ACT_SOFTPLUS: add_node(w, "Softplus", name, 1, &x, out); return;
  case JS_ACT_LINEAR: add_node(w, "Identity", name, 1, &x, out); return;
  case JS_ACT_LEAKY:
    /* alpha is a float attribute: a slope it would round goes into PRelu's
     * double slope instead, so the file keeps the exact function. */
    if ((double)(float)n->act.slope == n->act.slope) {
      attr_float(w, add_node(w, "LeakyRelu", name, 1, &x, out), "alpha", (float)n->act.slope);
    } else {
      char *in[2] = {x, scalar_init(w, i, "slope", n->act.slope)};
      add_node(w, "PRelu", name, 2, in, out);
    }
    return;
  case JS_ACT_QUADRATIC: { /* z^2 / 2 */
    char *sq = own_printf(w, "jacspec/n%d/square", i), *in[2] = {x, x};
    add_node(w, "Mul", own_printf(w, "n%d_square", i), 2, in, sq);
    char *half[2] = {sq, scalar_init(w, i, "half", 0.5)};
    add_node(w, "Mul", name, 2, half, out);
    return;
  }
  }
}

static void write_node(writer *w, int i) {
  const js_net *net = w->net;
  const js_node *n = &net->nodes[i];
  char *x = value_name(w, n->input[0]), *out = value_name(w, i);
  char *name = own_printf(w, "n%d", i);
  Onnx__NodeProto *node;
  switch (n->kind) {
  case JS_OP_DENSE: {
    if (n->in_shape.ndim == 3) {
      char *flat = own_printf(w, "jacspec/n%d/flat", i);
      attr_int(w, add_node(w, "Flatten", own_printf(w, "n%d_flatten", i), 1, &x, flat), "axis", 1);
      x = flat;
    }
    char *in[3] = {x, param_init(w, n->param[0], 0, NULL),
                   n->param[1] >= 0 ? param_init(w, n->param[1], 0, NULL) : NULL};
    attr_int(w, add_node(w, "Gemm", name, n->param[1] >= 0 ? 3 : 2, in, out), "transB", 1);
    return;
  }
  case JS_OP_CONV2D: {
    char *in[3] = {x, param_init(w, n->param[0], 0, NULL),
                   n->param[1] >= 0 ? param_init(w, n->param[1], 0, NULL) : NULL};
    node = add_node(w, "Conv", name, n->param[1] >= 0 ? 3 : 2, in, out);
    window_attrs(w, node, &n->window, 1);
    attr_int(w, node, "group", 1);
    return;
  }
  case JS_OP_ACTIVATION: write_activation(w, i, n, x, out); return;
  case JS_OP_AVGPOOL:
    node = add_node(w, "AveragePool", name, 1, &x, out);
    window_attrs(w, node, &n->window, 0);
    attr_int(w, node, "count_include_pad", n->window.count_include_pad);
    return;
  case JS_OP_MAXPOOL:
    window_attrs(w, add_node(w, "MaxPool", name, 1, &x, out), &n->window, 0);
    return;
  case JS_OP_GLOBAL_AVGPOOL: add_node(w, "GlobalAveragePool", name, 1, &x, out); return;
  case JS_OP_FLATTEN: attr_int(w, add_node(w, "Flatten", name, 1, &x, out), "axis", 1); return;
  case JS_OP_ADD: {
    char *in[2] = {x, value_name(w, n->input[1])};
    add_node(w, "Add", name, 2, in, out);
    return;
  }
  case JS_OP_AFFINE: {
    /* Mul then Add by per-channel constants: (C, 1, 1) broadcasts over H
     * and W of an image, (C) over the entries of a flat sample. */
    int64_t shape[3] = {n->in_shape.dim[0], 1, 1};
    int ndim = n->in_shape.ndim == 3 ? 3 : 1;
    shape[0] = ndim == 3 ? shape[0] : n->in_size;
    char *scaled = own_printf(w, "jacspec/n%d/scaled", i);
    char *mul[2] = {x, param_init(w, n->param[0], ndim, shape)};
    add_node(w, "Mul", own_printf(w, "n%d_scale", i), 2, mul, scaled);
    char *add[2] = {scaled, param_init(w, n->param[1], ndim, shape)};
    add_node(w, "Add", name, 2, add, out);
    return;
  }
  case JS_OP_PAD: {
    const int64_t *p = n->window.pad; /* top, left, bottom, right */
    int64_t pads[8] = {0, 0, p[0], p[1], 0, 0, p[2], p[3]}, eight = 8;
    char *in[2] = {x, add_init(w, own_printf(w, "jacspec/n%d/pads", i), 1, &eight, NULL, pads)};
    add_node(w, "Pad", name, 2, in, out);
    return;
  }
  case JS_OP_INPUT:
  case JS_OP_COUNT: return;
  }
}

/* A double tensor's ValueInfo: (N, shape...) with N symbolic. */
static Onnx__ValueInfoProto *value_info(writer *w, char *name, const js_shape *shape) {
  Onnx__ValueInfoProto *v = own(w, sizeof *v);
  Onnx__TypeProto *type = own(w, sizeof *type);
  Onnx__TypeProto__Tensor *tensor = own(w, sizeof *tensor);
  Onnx__TensorShapeProto *s = own(w, sizeof *s);
  Onnx__TensorShapeProto__Dimension **dims = own(w, sizeof *dims * 4);
  for (int a = 0; a <= shape->ndim && !w->failed; a++)
    dims[a] = own(w, sizeof **dims);
  char *batch = own_printf(w, "N");
  if (w->failed)
    return NULL;
  Onnx__ValueInfoProto vi = ONNX__VALUE_INFO_PROTO__INIT;
  Onnx__TypeProto tp = ONNX__TYPE_PROTO__INIT;
  Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
  Onnx__TensorShapeProto sp = ONNX__TENSOR_SHAPE_PROTO__INIT;
  *v = vi;
  *type = tp;
  *tensor = tt;
  *s = sp;
  for (int a = 0; a <= shape->ndim; a++) {
    Onnx__TensorShapeProto__Dimension d = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
    *dims[a] = d;
    if (a == 0) {
      dims[a]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      dims[a]->dim_param = batch;
    } else {
      dims[a]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dims[a]->dim_value = shape->dim[a - 1];
    }
  }
  s->n_dim = (size_t)shape->ndim + 1;
  s->dim = dims;
  tensor->has_elem_type = 1;
  tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  tensor->shape = s;
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tensor;
  v->name = name;
  v->type = type;
  return v;
}

/* Packs the model and writes it to PATH.tmp, then renames it. */
static int write_file(const Onnx__ModelProto *model, const char *path) {
  size_t size = onnx__model_proto__get_packed_size(model);
  uint8_t *buf = malloc(size ? size : 1);
  char tmp[4096];
  if (!buf)
    return js_fail(JS_ENOMEM, "%s: cannot allocate %zu bytes for the model", path, size);
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
    free(buf);
    return js_fail(JS_EINVAL, "%s: the path is too long", path);
  }
  onnx__model_proto__pack(model, buf);
  FILE *f = fopen(tmp, "wb");
  int rc = f ? JS_OK : js_fail(JS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
  if (!rc && fwrite(buf, 1, size, f) != size)
    rc = js_fail(JS_EIO, "%s: write error: %s", tmp, strerror(errno));
  if (f && fclose(f) != 0 && !rc)
    rc = js_fail(JS_EIO, "%s: write error: %s", tmp, strerror(errno));
  if (!rc && rename(tmp, path) != 0)
    rc = js_fail(JS_EIO, "%s: cannot rename %s to it: %s", path, tmp, strerror(errno));
  if (rc && f)
    remove(tmp);
  free(buf);
  return rc;
}

int js_net_save_onnx(const js_net *net, const char *path) {
  if (!net || !path)
    return js_fail(JS_EINVAL, "js_net_save_onnx: %s is NULL", net ? "path" : "network");
  writer w = {.net = net};
  for (int i = 1; i <= net->output; i++)
    write_node(&w, i);
  Onnx__GraphProto *graph = own(&w, sizeof *graph);
  Onnx__ModelProto *model = own(&w, sizeof *model);
  Onnx__OperatorSetIdProto *opset = own(&w, sizeof *opset);
  Onnx__OperatorSetIdProto **opsets = own(&w, sizeof *opsets);
  Onnx__ValueInfoProto **in = own(&w, sizeof *in), **out = own(&w, sizeof *out);
  if (!w.failed) {
    in[0] = value_info(&w, value_name(&w, 0), &net->nodes[0].shape);
    out[0] = value_info(&w, value_name(&w, net->output), &net->nodes[net->output].shape);
  }
  char *producer = own_printf(&w, "jacspec"), *version = own_printf(&w, "%s", JS_VERSION);
  char *graph_name = own_printf(&w, "jacspec"), *domain = own_printf(&w, "%s", "");
  int rc = JS_OK;
  if (w.failed) {
    rc = js_fail(JS_ENOMEM, "%s: out of memory while building the model", path);
  } else {
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__OperatorSetIdProto o = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    *graph = g;
    *model = m;
    *opset = o;
    graph->name = graph_name;
    graph->n_node = w.n_nodes;
    graph->node = (Onnx__NodeProto **)w.nodes;
    graph->n_initializer = w.n_inits;
    graph->initializer = (Onnx__TensorProto **)w.inits;
    graph->n_input = 1;
    graph->input = in;
    graph->n_output = 1;
    graph->output = out;
    opset->domain = domain;
    opset->has_version = 1;
    opset->version = OPSET;
    opsets[0] = opset;
    model->has_ir_version = 1;
    model->ir_version = IR_VERSION;
    model->producer_name = producer;
    model->producer_version = version;
    model->n_opset_import = 1;
    model->opset_import = opsets;
    model->graph = graph;
    rc = write_file(model, path);
  }
  for (size_t i = 0; i < w.n_owned; i++)
    free(w.owned[i]);
  free(w.owned);
  free(w.nodes);
  free(w.inits);
  return rc;
}

/* js_net_load_onnx: the file, the model's checks, the value table and the
 * walk over the graph's nodes (each handed to its op's handler once all its
 * inputs are known, so a file out of topological order still reads and a
 * cycle is found rather than looped on). */
#include "model/onnx/import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The newest default-domain opset whose semantics the handlers follow. */
#define MAX_OPSET 17

void js_onnx_options_init_defaults(js_onnx_options *opt) {
  *opt = (js_onnx_options){.max_tensor_size = INT64_C(1) << 31};
}

/* "node 'NAME' (OP)", or the first output's name for an unnamed node. */
static void node_label(const Onnx__NodeProto *node, char *buf, size_t size) {
  const char *op = node->op_type ? node->op_type : "?";
  if (node->name && *node->name)
    snprintf(buf, size, "node '%s' (%s)", node->name, op);
  else if (node->n_output && node->output[0])
    snprintf(buf, size, "the %s node of output '%s'", op, node->output[0]);
  else
    snprintf(buf, size, "an unnamed %s node", op);
}

int js_onnx_node_fail(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *fmt,
                      ...) {
  char label[512], message[1024];
  node_label(node, label, sizeof label);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return js_fail(JS_EFORMAT, "%s: %s: %s", r->path, label, message);
}

int js_onnx_added(const js_onnx_reader *r, const Onnx__NodeProto *node, int id) {
  if (id >= 0)
    return id;
  if (id == JS_ENOMEM)
    return id;
  char message[1024];
  snprintf(message, sizeof message, "%s", js_last_error());
  return js_onnx_node_fail(r, node, "%s", message);
}

js_onnx_value *js_onnx_find(const js_onnx_reader *r, const char *name) {
  if (!name) /* a field the file left out names nothing */
    return NULL;
  for (int i = 0; i < r->n_values; i++)
    if (strcmp(r->values[i].name, name) == 0)
      return &r->values[i];
  return NULL;
}

js_onnx_value *js_onnx_optional_input(const js_onnx_reader *r, const Onnx__NodeProto *node,
                                      size_t i) {
  if (i >= node->n_input || !node->input[i][0])
    return NULL;
  return js_onnx_find(r, node->input[i]);
}

int js_onnx_input(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t i,
                  js_onnx_value **out) {
  *out = js_onnx_optional_input(r, node, i);
  if (!*out)
    return js_onnx_node_fail(r, node, "input %zu is missing", i + 1);
  return JS_OK;
}

int js_onnx_constant_input(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t i,
                           const char *role, js_onnx_value **out) {
  int rc = js_onnx_input(r, node, i, out);
  if (!rc && (*out)->node >= 0)
    return js_onnx_node_fail(r, node, "the %s '%s' must be an initializer or a constant, "
                             "not computed by the graph", role, (*out)->name);
  return rc;
}

static int new_value(js_onnx_reader *r, const char *name, js_onnx_value **out) {
  if (!name || !*name)
    return js_fail(JS_EFORMAT, "%s: a node output or graph value has no name", r->path);
  if (js_onnx_find(r, name))
    return js_fail(JS_EFORMAT, "%s: the value '%s' is defined twice", r->path, name);
  if (r->n_values == r->values_cap) {
    int cap = r->values_cap ? 2 * r->values_cap : 64;
    js_onnx_value *bigger = realloc(r->values, sizeof *bigger * (size_t)cap);
    if (!bigger)
      return js_fail(JS_ENOMEM, "%s: out of memory", r->path);
    r->values = bigger;
    r->values_cap = cap;
  }
  *out = &r->values[r->n_values++];
  **out = (js_onnx_value){.name = name, .node = -1};
  return JS_OK;
}

int js_onnx_define(js_onnx_reader *r, const char *name, int id, int ndim, const int64_t *dims) {
  if (id < 0) /* the node was refused (js_onnx_added's status): nothing to define */
    return id;
  js_onnx_value *v = NULL;
  int rc = new_value(r, name, &v);
  if (rc)
    return rc;
  const js_shape *s = &r->net->nodes[id].shape;
  v->node = id;
  v->ndim = dims ? ndim : s->ndim;
  memcpy(v->dim, dims ? dims : s->dim, sizeof(int64_t) * (size_t)v->ndim);
  return JS_OK;
}

int js_onnx_define_constant(js_onnx_reader *r, const char *name, js_onnx_array *a) {
  js_onnx_value *v = NULL;
  int rc = new_value(r, name, &v);
  if (rc) {
    js_onnx_array_free(a);
    return rc;
  }
  v->constant = *a;
  v->ndim = a->ndim;
  memcpy(v->dim, a->dim, sizeof v->dim);
  return JS_OK;
}

int js_onnx_outputs(const js_onnx_reader *r, const Onnx__NodeProto *node, size_t n_max) {
  if (node->n_output < 1 || !node->output[0][0])
    return js_onnx_node_fail(r, node, "the node has no output");
  for (size_t i = 1; i < node->n_output; i++)
    if (i >= n_max || node->output[i][0])
      return js_onnx_node_fail(r, node, "output %zu ('%s') is not supported (only the "
                               "first output is)", i + 1, node->output[i]);
  return JS_OK;
}

const Onnx__NodeProto *js_onnx_sole_consumer(const js_onnx_reader *r, const char *name) {
  const Onnx__GraphProto *g = r->graph;
  for (size_t o = 0; o < g->n_output; o++)
    if (strcmp(g->output[o]->name, name) == 0)
      return NULL;
  const Onnx__NodeProto *found = NULL;
  for (size_t n = 0; n < g->n_node; n++)
    for (size_t i = 0; i < g->node[n]->n_input; i++)
      if (strcmp(g->node[n]->input[i], name) == 0) {
        if (found || r->done[n])
          return NULL;
        found = g->node[n];
      }
  return found;
}

void js_onnx_mark_done(js_onnx_reader *r, const Onnx__NodeProto *node) {
  for (size_t n = 0; n < r->graph->n_node; n++)
    if (r->graph->node[n] == node)
      r->done[n] = 1;
}

int js_onnx_name_tensor(js_onnx_reader *r, const Onnx__NodeProto *node, js_onnx_value *src,
                        const char *suffix, js_onnx_tensor *out) {
  if (src && src->param) {
    if (src->claimed)
      return js_onnx_node_fail(r, node, "the initializer '%s' is used by a second node: "
                               "shared weights are not supported", src->name);
    if (strlen(src->name) >= sizeof out->name)
      return js_onnx_node_fail(r, node, "the initializer name '%.40s...' is too long",
                               src->name);
    src->claimed = 1;
    snprintf(out->name, sizeof out->name, "%s", src->name);
    out->trained = 1;
    return JS_OK;
  }
  const char *base = node->name && *node->name ? node->name : node->output[0];
  out->trained = 0;
  for (int k = 1; k < 1000; k++) {
    if (k == 1)
      snprintf(out->name, sizeof out->name, "%.256s.%s", base, suffix);
    else
      snprintf(out->name, sizeof out->name, "%.256s.%s_%d", base, suffix, k);
    if (js_net_find_tensor(r->net, out->name) < 0 && !js_onnx_find(r, out->name))
      return JS_OK;
  }
  return js_onnx_node_fail(r, node, "no free tensor name for '%s.%s'", base, suffix);
}

int js_onnx_set_tensor(js_onnx_reader *r, int id, int slot, const js_onnx_tensor *t,
                       const double *values) {
  int index = r->net->nodes[id].param[slot];
  if (index >= r->trained_cap) {
    int cap = 2 * index + 16;
    unsigned char *bigger = realloc(r->trained, (size_t)cap);
    if (!bigger)
      return js_fail(JS_ENOMEM, "%s: out of memory", r->path);
    r->trained = bigger;
    r->trained_cap = cap;
  }
  r->trained[index] = (unsigned char)t->trained;
  const js_param *p = &r->net->params[index];
  memcpy(r->net->values + p->offset, values, sizeof(double) * (size_t)p->size);
  return JS_OK;
}

/* ------------------------------------------------------------ attributes */

const Onnx__AttributeProto *js_onnx_attribute(const Onnx__NodeProto *node, const char *name) {
  for (size_t a = 0; a < node->n_attribute; a++)
    if (node->attribute[a]->name && strcmp(node->attribute[a]->name, name) == 0)
      return node->attribute[a];
  return NULL;
}

int js_onnx_check_attributes(const js_onnx_reader *r, const Onnx__NodeProto *node,
                             const char *const *known) {
  for (size_t a = 0; a < node->n_attribute; a++) {
    const char *name = node->attribute[a]->name ? node->attribute[a]->name : "";
    int ok = 0;
    char list[512] = "";
    for (const char *const *k = known; *k; k++) {
      ok |= strcmp(*k, name) == 0;
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k == known ? "" : ", ",
               *k);
    }
    if (!ok)
      return js_onnx_node_fail(r, node, "attribute '%s' is not supported (supported: %s)",
                               name, list[0] ? list : "none");
  }
  return JS_OK;
}

static int attr_type(const js_onnx_reader *r, const Onnx__NodeProto *node,
                     const Onnx__AttributeProto *a, Onnx__AttributeProto__AttributeType type,
                     const char *what) {
  if (a->has_type && a->type != type)
    return js_onnx_node_fail(r, node, "attribute '%s' should be %s", a->name, what);
  return JS_OK;
}

int js_onnx_attr_int(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                     int64_t fallback, int64_t *out) {
  const Onnx__AttributeProto *a = js_onnx_attribute(node, name);
  *out = fallback;
  if (!a)
    return JS_OK;
  int rc = attr_type(r, node, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, "an integer");
  if (!rc)
    *out = a->i;
  return rc;
}

int js_onnx_attr_float(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                       double fallback, double *out) {
  const Onnx__AttributeProto *a = js_onnx_attribute(node, name);
  *out = fallback;
  if (!a)
    return JS_OK;
  int rc = attr_type(r, node, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, "a float");
  if (!rc)
    *out = a->f;
  return rc;
}

int js_onnx_attr_ints(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *name,
                      size_t n, int64_t *out, int *given) {
  const Onnx__AttributeProto *a = js_onnx_attribute(node, name);
  *given = a != NULL;
  if (!a)
    return JS_OK;
  int rc = attr_type(r, node, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, "integers");
  if (!rc && a->n_ints != n)
    rc = js_onnx_node_fail(r, node, "attribute '%s' has %zu entries; %zu expected (2-D "
                           "images only)", name, a->n_ints, n);
  if (!rc)
    memcpy(out, a->ints, sizeof(int64_t) * n);
  return rc;
}

int js_onnx_attr_string(const js_onnx_reader *r, const Onnx__NodeProto *node,
                        const char *name, const char *fallback, char *buf, size_t size) {
  const Onnx__AttributeProto *a = js_onnx_attribute(node, name);
  snprintf(buf, size, "%s", fallback);
  if (!a)
    return JS_OK;
  int rc = attr_type(r, node, a, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, "a string");
  if (!rc)
    snprintf(buf, size, "%.*s", (int)a->s.len, a->s.data ? (const char *)a->s.data : "");
  return rc;
}

/* ------------------------------------------------------------ the model */

static int read_opset(js_onnx_reader *r, const Onnx__ModelProto *m) {
  r->opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const char *domain = m->opset_import[i]->domain ? m->opset_import[i]->domain : "";
    if (!*domain || strcmp(domain, "ai.onnx") == 0)
      r->opset = m->opset_import[i]->version;
  }
  if (r->opset < 1 || r->opset > MAX_OPSET)
    return js_fail(JS_EFORMAT, "%s: %s; supported: opsets up to %d", r->path,
                   r->opset < 0 ? "the model imports no default-domain opset"
                                : "the model's default-domain opset is too new",
                   MAX_OPSET);
  return JS_OK;
}

static int is_initializer(const js_onnx_reader *r, const char *name) {
  for (size_t i = 0; i < r->graph->n_initializer; i++)
    if (strcmp(r->graph->initializer[i]->name, name) == 0)
      return 1;
  return 0;
}

static int add_constant(js_onnx_reader *r, const char *name, js_onnx_array *a) {
  int rc = js_onnx_define_constant(r, name, a);
  if (!rc) {
    js_onnx_value *v = &r->values[r->n_values - 1];
    v->param = v->constant.is_float && v->ndim >= 1;
  }
  return rc;
}

static int read_initializers(js_onnx_reader *r, const js_onnx_extras *x) {
  for (size_t i = 0; i < r->graph->n_initializer; i++) {
    const Onnx__TensorProto *t = r->graph->initializer[i];
    char what[320];
    if (!t->name || !*t->name)
      return js_fail(JS_EFORMAT, "%s: initializer %zu has no name", r->path, i + 1);
    snprintf(what, sizeof what, "initializer '%.256s'", t->name);
    js_onnx_array a;
    int rc = js_onnx_tensor_values(t, r->opt.max_tensor_size, r->path, what, &a);
    if (rc || (rc = add_constant(r, t->name, &a)))
      return rc;
  }
  if (x && (size_t)x->n_feeds >= r->graph->n_input)
    return js_fail(JS_EFORMAT, "%s: %d constant inputs for a graph of %zu inputs", r->path,
                   x->n_feeds, r->graph->n_input);
  for (int f = 0; x && f < x->n_feeds; f++) {
    js_onnx_array a = x->feeds[f];
    a.data = js_alloc((size_t)(a.size ? a.size : 1), sizeof(double), "feed");
    if (!a.data)
      return JS_ENOMEM;
    memcpy(a.data, x->feeds[f].data, sizeof(double) * (size_t)a.size);
    int rc = add_constant(r, r->graph->input[f + 1]->name, &a);
    if (rc)
      return rc;
  }
  return JS_OK;
}

/* The one graph input that is neither an initializer nor fed: the
 * network's input node, (N, d) -> (d), (N, C, H, W) -> (C, H, W). */
static int read_input(js_onnx_reader *r, const js_onnx_extras *x) {
  const Onnx__ValueInfoProto *in = NULL;
  for (size_t i = 0; i < r->graph->n_input; i++) {
    const Onnx__ValueInfoProto *v = r->graph->input[i];
    if (!v->name || is_initializer(r, v->name) || js_onnx_find(r, v->name))
      continue;
    if (in)
      return js_fail(JS_EFORMAT, "%s: the graph has two data inputs ('%s', '%s'); one is "
                     "supported", r->path, in->name, v->name);
    in = v;
  }
  if (!in)
    return js_fail(JS_EFORMAT, "%s: the graph has no data input (every input is an "
                   "initializer, or there is none)", r->path);
  const Onnx__TypeProto *type = in->type;
  if (!type || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      !type->tensor_type || !type->tensor_type->shape)
    return js_fail(JS_EFORMAT, "%s: the input '%s' is not a tensor of known rank", r->path,
                   in->name);
  const Onnx__TypeProto__Tensor *tt = type->tensor_type;
  if (tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
      tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
    return js_fail(JS_EFORMAT, "%s: the input '%s' has element type %d; float or double is "
                   "supported", r->path, in->name, (int)tt->elem_type);
  size_t rank = tt->shape->n_dim;
  int any = x && x->any_rank_input;
  if ((rank != 2 && rank != 4 && !any) || rank < 1 || rank > JS_ONNX_MAX_RANK)
    return js_fail(JS_EFORMAT, "%s: the input '%s' has rank %zu; supported: (N, d) and "
                   "(N, C, H, W)", r->path, in->name, rank);
  const Onnx__TensorShapeProto__Dimension *n = tt->shape->dim[0];
  r->batch = n->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                 ? n->dim_value : -1;
  int64_t dims[JS_ONNX_MAX_RANK], size = 1;
  for (size_t a = 1; a < rank; a++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[a];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
        d->dim_value < 1 || d->dim_value > (INT64_C(1) << 40) / size)
      return js_fail(JS_EFORMAT, "%s: dimension %zu of input '%s' must be a number in "
                     "1..2^40 (only the batch dimension may be symbolic)", r->path, a + 1,
                     in->name);
    dims[a - 1] = d->dim_value;
    size *= d->dim_value;
  }
  js_shape shape = rank == 4 ? (js_shape){3, {dims[0], dims[1], dims[2]}}
                             : (js_shape){1, {size, 0, 0}};
  int rc = js_net_create(&shape, &r->net);
  if (rc)
    return js_fail(JS_EFORMAT, "%s: input '%s': %s", r->path, in->name, js_last_error());
  return js_onnx_define(r, in->name, 0, (int)rank - 1, dims);
}

/* The first input of node n no value defines yet (NULL: all are known). */
static const char *unknown_input(const js_onnx_reader *r, const Onnx__NodeProto *node) {
  for (size_t i = 0; i < node->n_input; i++)
    if (node->input[i][0] && !js_onnx_find(r, node->input[i]))
      return node->input[i];
  return NULL;
}

static int produced_by_a_node(const js_onnx_reader *r, const char *name) {
  for (size_t n = 0; n < r->graph->n_node; n++)
    for (size_t o = 0; o < r->graph->node[n]->n_output; o++)
      if (strcmp(r->graph->node[n]->output[o], name) == 0)
        return 1;
  return 0;
}

static int import_node(js_onnx_reader *r, const Onnx__NodeProto *node) {
  const char *domain = node->domain ? node->domain : "";
  js_onnx_handler handler = *domain && strcmp(domain, "ai.onnx")
                                ? NULL
                                : js_onnx_find_handler(node->op_type ? node->op_type : "");
  if (!handler) {
    char list[512];
    js_onnx_supported_ops(list, sizeof list);
    return js_onnx_node_fail(r, node, "op type '%s%s%s' is not supported (supported: %s)",
                             domain, *domain ? "." : "", node->op_type ? node->op_type : "",
                             list);
  }
  return handler(r, node);
}

/* Hands every node to its handler once its inputs are known. */
static int walk(js_onnx_reader *r) {
  const Onnx__GraphProto *g = r->graph;
  for (size_t left = g->n_node; left > 0;) {
    size_t before = left;
    for (size_t n = 0; n < g->n_node; n++) {
      if (r->done[n] || unknown_input(r, g->node[n]))
        continue;
      int rc = import_node(r, g->node[n]);
      if (rc)
        return rc;
      r->done[n] = 1;
    }
    left = 0;
    for (size_t n = 0; n < g->n_node; n++)
      left += !r->done[n];
    if (left == before) {
      for (size_t n = 0; n < g->n_node; n++)
        if (!r->done[n]) {
          const char *name = unknown_input(r, g->node[n]);
          return produced_by_a_node(r, name)
                     ? js_onnx_node_fail(r, g->node[n], "input '%s' depends on this node's "
                                         "own output: the graph has a cycle", name)
                     : js_onnx_node_fail(r, g->node[n], "input '%s' is not produced by any "
                                         "node, initializer or graph input", name);
        }
    }
  }
  return JS_OK;
}

static int set_output(js_onnx_reader *r) {
  const Onnx__GraphProto *g = r->graph;
  if (g->n_output != 1)
    return js_fail(JS_EFORMAT, "%s: the graph has %zu outputs; one is supported", r->path,
                   g->n_output);
  const js_onnx_value *v = js_onnx_find(r, g->output[0]->name);
  if (!v || v->node < 0)
    return js_fail(JS_EFORMAT, "%s: the graph output '%s' is %s", r->path, g->output[0]->name,
                   v ? "a constant, not computed from the input" : "produced by no node");
  int node = v->node;
  if (node == 0) /* the input itself (an Identity model): f needs a node of its own */
    node = js_net_add_activation(r->net, 0, (js_activation){JS_ACT_LINEAR, 0});
  return node < 0 ? node : js_net_set_output(r->net, node);
}

/* Trained: the tensors made from initializers; jacspec's own are not. */
static void set_trained(js_onnx_reader *r) {
  for (int t = 0; t < r->net->n_params_tensors; t++)
    r->net->params[t].trained = t < r->trained_cap && r->trained[t];
  js_graph_layout_theta(r->net);
}

int js_onnx_import(const char *path, const js_onnx_options *opt, const js_onnx_extras *x,
                   js_net **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_net_load_onnx: output pointer is NULL");
  *out = NULL;
  if (!path)
    return js_fail(JS_EINVAL, "js_net_load_onnx: path is NULL");
  js_onnx_reader r = {.path = path};
  if (opt)
    r.opt = *opt;
  else
    js_onnx_options_init_defaults(&r.opt);
  uint8_t *bytes;
  size_t size;
  int rc = js_onnx_read_file(path, &bytes, &size);
  if (rc)
    return rc;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!m)
    return js_fail(JS_EFORMAT, "%s: not an ONNX model: the protobuf data is truncated or "
                   "corrupt", path);
  r.graph = m->graph;
  if (!m->has_ir_version || !r.graph)
    rc = js_fail(JS_EFORMAT, "%s: not an ONNX model: %s", path,
                 m->has_ir_version ? "it has no graph" : "it has no IR version");
  if (!rc && !(r.done = js_alloc(r.graph->n_node + 1, 1, "ONNX node flags")))
    rc = JS_ENOMEM;
  if (!rc && !(rc = read_opset(&r, m)) && !(rc = read_initializers(&r, x)) &&
      !(rc = read_input(&r, x)) && !(rc = walk(&r)) && !(rc = set_output(&r)))
    set_trained(&r);
  for (int i = 0; i < r.n_values; i++)
    js_onnx_array_free(&r.values[i].constant);
  free(r.values);
  free(r.done);
  free(r.trained);
  onnx__model_proto__free_unpacked(m, NULL);
  if (rc) {
    js_net_free(r.net);
    return rc;
  }
  *out = r.net;
  return JS_OK;
}

int js_net_load_onnx(const char *path, const js_onnx_options *opt, js_net **out) {
  return js_onnx_import(path, opt, NULL, out);
}

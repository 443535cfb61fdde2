/* The op handlers, except the arithmetic ones (import_arith.c), and the
 * table of supported op types. Each checks every attribute it is given:
 * one it does not know, or a value outside the subset, is refused. */
#include "model/onnx/import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const no_attributes[] = {NULL};

/* The data input (a graph value), the only output, known attributes, and
 * (image != 0) a (C, H, W) sample. */
static int begin(const js_onnx_reader *r, const Onnx__NodeProto *node, const char *const *known,
                 int image, js_onnx_value **x) {
  int rc = js_onnx_check_attributes(r, node, known);
  if (rc || (rc = js_onnx_outputs(r, node, 1)) || (rc = js_onnx_input(r, node, 0, x)))
    return rc;
  if ((*x)->node < 0)
    return js_onnx_node_fail(r, node, "the input '%s' is a constant (folding constants is "
                             "not supported)", (*x)->name);
  if (image && (*x)->ndim != 3)
    return js_onnx_node_fail(r, node, "the input '%s' must be an image (N, C, H, W)",
                             (*x)->name);
  return JS_OK;
}

/* The node's output is node id with the dims of value `like`. */
static int define_like(js_onnx_reader *r, const Onnx__NodeProto *node, int id,
                       const js_onnx_value *like) {
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, like->ndim, like->dim);
}

/* ------------------------------------------------------------ dense */

/* A dense node of weight w (n_out x d, row-major) and bias (n_out or
 * NULL), with tensors named; defines `out`. */
static int add_dense(js_onnx_reader *r, const Onnx__NodeProto *node, const js_onnx_value *x,
                     int64_t n_out, const js_onnx_tensor *w_name, const double *w,
                     const js_onnx_tensor *b_name, const double *b, const char *out) {
  int id = js_onnx_added(r, node, js_graph_add_dense(r->net, x->node, n_out, w_name->name,
                                                     b ? b_name->name : NULL));
  int rc = id < 0 ? id : js_onnx_set_tensor(r, id, 0, w_name, w);
  if (!rc && b)
    rc = js_onnx_set_tensor(r, id, 1, b_name, b);
  return rc ? rc : js_onnx_define(r, out, id, 0, NULL);
}

/* B (a rank-2 constant) as the weight alpha B^T (trans = 0) or alpha B
 * (trans = 1) of a dense node on the d entries of x. */
static int dense_weight(const js_onnx_reader *r, const Onnx__NodeProto *node,
                        const js_onnx_value *x, const js_onnx_value *B, int trans, double alpha,
                        double **w, int64_t *n_out) {
  if (x->ndim != 1)
    return js_onnx_node_fail(r, node, "the input '%s' must be a matrix (N, d)", x->name);
  if (B->ndim != 2 || !B->constant.is_float || B->dim[trans ? 1 : 0] != x->dim[0])
    return js_onnx_node_fail(r, node, "the weight '%s' must be a float matrix with %lld %s",
                             B->name, (long long)x->dim[0], trans ? "columns" : "rows");
  int64_t d = x->dim[0], n = B->dim[trans ? 0 : 1];
  *w = js_alloc((size_t)(n * d), sizeof(double), "dense weight");
  if (!*w)
    return JS_ENOMEM;
  for (int64_t o = 0; o < n; o++)
    for (int64_t i = 0; i < d; i++)
      (*w)[o * d + i] = alpha * B->constant.data[trans ? o * d + i : i * n + o];
  *n_out = n;
  return JS_OK;
}

static int import_gemm(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"alpha", "beta", "transA", "transB", NULL};
  js_onnx_value *x, *B, *C;
  double alpha, beta, *w = NULL, *b = NULL;
  int64_t trans_a, trans_b, n_out = 0;
  int rc = begin(r, node, known, 0, &x);
  if (rc || (rc = js_onnx_attr_float(r, node, "alpha", 1.0, &alpha)) ||
      (rc = js_onnx_attr_float(r, node, "beta", 1.0, &beta)) ||
      (rc = js_onnx_attr_int(r, node, "transA", 0, &trans_a)) ||
      (rc = js_onnx_attr_int(r, node, "transB", 0, &trans_b)))
    return rc;
  if (trans_a != 0 || (trans_b != 0 && trans_b != 1))
    return js_onnx_node_fail(r, node, "transA = %lld, transB = %lld: supported are transA = 0 "
                             "and transB = 0 or 1", (long long)trans_a, (long long)trans_b);
  if ((rc = js_onnx_constant_input(r, node, 1, "weight B", &B)) ||
      (rc = dense_weight(r, node, x, B, (int)trans_b, alpha, &w, &n_out)))
    return rc;
  js_onnx_tensor w_name, b_name;
  js_onnx_value *b_src = NULL;
  if ((C = js_onnx_optional_input(r, node, 2))) {
    js_onnx_value like = {.ndim = 1, .dim = {n_out}};
    int exact;
    if (C->node >= 0)
      rc = js_onnx_node_fail(r, node, "the bias C '%s' must be a constant", C->name);
    else if (!(b = js_alloc((size_t)n_out, sizeof(double), "dense bias")))
      rc = JS_ENOMEM;
    else if (!(rc = js_onnx_channel_values(r, node, &like, C, b, &exact)))
      for (int64_t o = 0; o < n_out; o++)
        b[o] *= beta;
    b_src = !rc && exact ? C : NULL;
  }
  if (!rc)
    rc = js_onnx_name_tensor(r, node, B, "weight", &w_name);
  if (!rc && b)
    rc = js_onnx_name_tensor(r, node, b_src, "bias", &b_name);
  if (!rc)
    rc = add_dense(r, node, x, n_out, &w_name, w, &b_name, b, node->output[0]);
  free(w);
  free(b);
  return rc;
}

static int import_matmul(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *x, *B, *b_src = NULL;
  double *w = NULL, *b = NULL;
  int64_t n_out;
  int rc = begin(r, node, no_attributes, 0, &x);
  if (rc || (rc = js_onnx_constant_input(r, node, 1, "weight", &B)) ||
      (rc = dense_weight(r, node, x, B, 0, 1.0, &w, &n_out)))
    return rc;
  js_onnx_value like = {.ndim = 1, .dim = {n_out}};
  const Onnx__NodeProto *add = NULL;
  if (!(b = js_alloc((size_t)n_out, sizeof(double), "dense bias")))
    rc = JS_ENOMEM;
  else
    add = js_onnx_following_bias(r, node->output[0], &like, b, &b_src);
  js_onnx_tensor w_name, b_name;
  if (!rc)
    rc = js_onnx_name_tensor(r, node, B, "weight", &w_name);
  if (!rc && add)
    rc = js_onnx_name_tensor(r, add, b_src, "bias", &b_name);
  if (!rc)
    rc = add_dense(r, node, x, n_out, &w_name, w, &b_name, add ? b : NULL,
                   add ? add->output[0] : node->output[0]);
  if (!rc && add)
    js_onnx_mark_done(r, add);
  free(w);
  free(b);
  return rc;
}

/* ------------------------------------------------------------ windows */

/* kernel_shape (checked against `kernel` when known), strides, dilations,
 * pads and auto_pad of a 2-D window over the (H, W) of x. */
static int read_window(const js_onnx_reader *r, const Onnx__NodeProto *node,
                       const js_onnx_value *x, js_window *w, int kernel_known) {
  int64_t kernel[2], ones[2] = {1, 1};
  int given, pads_given;
  int rc = js_onnx_attr_ints(r, node, "kernel_shape", 2, kernel, &given);
  if (rc)
    return rc;
  if (given && kernel_known && (kernel[0] != w->kernel[0] || kernel[1] != w->kernel[1]))
    return js_onnx_node_fail(r, node, "kernel_shape disagrees with the weight's shape");
  if (!given && !kernel_known)
    return js_onnx_node_fail(r, node, "kernel_shape is required");
  if (given)
    memcpy(w->kernel, kernel, sizeof kernel);
  memcpy(w->stride, ones, sizeof ones);
  memcpy(w->dilation, ones, sizeof ones);
  memset(w->pad, 0, sizeof w->pad);
  char mode[32];
  if ((rc = js_onnx_attr_ints(r, node, "strides", 2, w->stride, &given)) ||
      (rc = js_onnx_attr_ints(r, node, "dilations", 2, w->dilation, &given)) ||
      (rc = js_onnx_attr_ints(r, node, "pads", 4, w->pad, &pads_given)) ||
      (rc = js_onnx_attr_string(r, node, "auto_pad", "NOTSET", mode, sizeof mode)))
    return rc;
  int upper = strcmp(mode, "SAME_UPPER") == 0, lower = strcmp(mode, "SAME_LOWER") == 0;
  if (strcmp(mode, "NOTSET") && strcmp(mode, "VALID") && !upper && !lower)
    return js_onnx_node_fail(r, node, "auto_pad '%s' is not one of NOTSET, VALID, SAME_UPPER, "
                             "SAME_LOWER", mode);
  if (strcmp(mode, "NOTSET") && pads_given)
    return js_onnx_node_fail(r, node, "pads and auto_pad '%s' are given together", mode);
  for (int a = 0; a < 2 && (upper || lower); a++) {
    int64_t in = x->dim[a + 1], s = w->stride[a];
    if (s < 1)
      return js_onnx_node_fail(r, node, "stride %lld must be >= 1", (long long)s);
    int64_t out = (in + s - 1) / s;
    int64_t total = (out - 1) * s + (w->kernel[a] - 1) * w->dilation[a] + 1 - in;
    total = total > 0 ? total : 0;
    w->pad[a] = upper ? total / 2 : total - total / 2;
    w->pad[a + 2] = total - w->pad[a];
  }
  return JS_OK;
}

static int import_conv(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                      "strides", NULL};
  js_onnx_value *x, *W, *B;
  int64_t group;
  int rc = begin(r, node, known, 1, &x);
  if (rc || (rc = js_onnx_attr_int(r, node, "group", 1, &group)) ||
      (rc = js_onnx_constant_input(r, node, 1, "weight", &W)))
    return rc;
  if (group != 1)
    return js_onnx_node_fail(r, node, "group = %lld: only group = 1 is supported",
                             (long long)group);
  if (W->ndim != 4 || !W->constant.is_float || W->dim[1] != x->dim[0])
    return js_onnx_node_fail(r, node, "the weight '%s' must be a float (F, %lld, kh, kw) "
                             "tensor", W->name, (long long)x->dim[0]);
  js_window w = {0};
  w.kernel[0] = W->dim[2];
  w.kernel[1] = W->dim[3];
  if ((rc = read_window(r, node, x, &w, 1)))
    return rc;
  js_conv2d_options opt = {.filters = W->dim[0], .kernel = {w.kernel[0], w.kernel[1]},
                           .stride = {w.stride[0], w.stride[1]},
                           .pad = {w.pad[0], w.pad[1], w.pad[2], w.pad[3]},
                           .dilation = {w.dilation[0], w.dilation[1]}};
  js_onnx_tensor w_name, b_name;
  if ((B = js_onnx_optional_input(r, node, 2)) &&
      (B->node >= 0 || B->ndim != 1 || B->dim[0] != opt.filters || !B->constant.is_float))
    return js_onnx_node_fail(r, node, "the bias '%s' must be a float constant of %lld "
                             "entries", B->name, (long long)opt.filters);
  if ((rc = js_onnx_name_tensor(r, node, W, "weight", &w_name)) ||
      (B && (rc = js_onnx_name_tensor(r, node, B, "bias", &b_name))))
    return rc;
  int id = js_onnx_added(r, node, js_graph_add_conv2d(r->net, x->node, &opt, w_name.name,
                                                      B ? b_name.name : NULL));
  rc = id < 0 ? id : js_onnx_set_tensor(r, id, 0, &w_name, W->constant.data);
  if (!rc && B)
    rc = js_onnx_set_tensor(r, id, 1, &b_name, B->constant.data);
  return rc ? rc : js_onnx_define(r, node->output[0], id, 0, NULL);
}

static int import_pool(js_onnx_reader *r, const Onnx__NodeProto *node, js_pool_kind kind) {
  static const char *const avg_known[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                          "kernel_shape", "pads", "strides", NULL};
  static const char *const max_known[] = {"auto_pad", "ceil_mode", "dilations",
                                          "kernel_shape", "pads", "storage_order", "strides",
                                          NULL};
  js_onnx_value *x;
  int64_t ceil_mode, storage_order, count_include_pad;
  js_window w = {0};
  int rc = begin(r, node, kind == JS_POOL_AVG ? avg_known : max_known, 1, &x);
  if (rc || (rc = js_onnx_attr_int(r, node, "ceil_mode", 0, &ceil_mode)) ||
      (rc = js_onnx_attr_int(r, node, "storage_order", 0, &storage_order)) ||
      (rc = js_onnx_attr_int(r, node, "count_include_pad", 0, &count_include_pad)) ||
      (rc = read_window(r, node, x, &w, 0)))
    return rc;
  if (ceil_mode || storage_order || w.dilation[0] != 1 || w.dilation[1] != 1)
    return js_onnx_node_fail(r, node, "ceil_mode = %lld, storage_order = %lld, dilations "
                             "%lld x %lld: supported are 0, 0 and 1 x 1", (long long)ceil_mode,
                             (long long)storage_order, (long long)w.dilation[0],
                             (long long)w.dilation[1]);
  js_pool_options opt = {.kind = kind, .kernel = {w.kernel[0], w.kernel[1]},
                         .stride = {w.stride[0], w.stride[1]},
                         .pad = {w.pad[0], w.pad[1], w.pad[2], w.pad[3]},
                         .count_include_pad = count_include_pad != 0};
  return js_onnx_define(r, node->output[0],
                        js_onnx_added(r, node, js_net_add_pool(r->net, x->node, &opt)), 0,
                        NULL);
}

static int import_avgpool(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return import_pool(r, node, JS_POOL_AVG);
}

static int import_maxpool(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return import_pool(r, node, JS_POOL_MAX);
}

static int import_global_avgpool(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *x;
  int rc = begin(r, node, no_attributes, 1, &x);
  int id = rc ? rc : js_onnx_added(r, node, js_net_add_global_avgpool(r->net, x->node));
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, 0, NULL);
}

static int import_pad(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known_11[] = {"mode", NULL};
  static const char *const known_2[] = {"mode", "pads", "value", NULL};
  js_onnx_value *x, *p, *value;
  char mode[32];
  int64_t pads[8];
  double fill = 0;
  int given, rc = begin(r, node, r->opset >= 11 ? known_11 : known_2, 1, &x);
  if (rc || (rc = js_onnx_attr_string(r, node, "mode", "constant", mode, sizeof mode)))
    return rc;
  if (strcmp(mode, "constant"))
    return js_onnx_node_fail(r, node, "mode '%s': only constant padding is supported", mode);
  if (r->opset >= 11) {
    if ((rc = js_onnx_constant_input(r, node, 1, "pads", &p)))
      return rc;
    if (p->constant.is_float || p->ndim != 1 || p->constant.size != 8)
      return js_onnx_node_fail(r, node, "the pads '%s' must be 8 integers", p->name);
    for (int i = 0; i < 8; i++)
      pads[i] = (int64_t)p->constant.data[i];
    if ((value = js_onnx_optional_input(r, node, 2))) {
      if (value->node >= 0 || value->constant.size != 1)
        return js_onnx_node_fail(r, node, "the padding value must be a scalar constant");
      fill = value->constant.data[0];
    }
    if (js_onnx_optional_input(r, node, 3) || (node->n_input > 3 && node->input[3][0]))
      return js_onnx_node_fail(r, node, "the axes input is not supported");
  } else if ((rc = js_onnx_attr_ints(r, node, "pads", 8, pads, &given)) ||
             (rc = js_onnx_attr_float(r, node, "value", 0.0, &fill))) {
    return rc;
  } else if (!given) {
    return js_onnx_node_fail(r, node, "the pads attribute is required");
  }
  if (fill != 0.0 || pads[0] || pads[1] || pads[4] || pads[5])
    return js_onnx_node_fail(r, node, "value %g, pads of N and C %lld %lld %lld %lld: "
                             "supported is zero padding of H and W only", fill,
                             (long long)pads[0], (long long)pads[1], (long long)pads[4],
                             (long long)pads[5]);
  int64_t hw[4] = {pads[2], pads[3], pads[6], pads[7]};
  int id = js_onnx_added(r, node, js_net_add_pad(r->net, x->node, hw));
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, 0, NULL);
}

/* ------------------------------------------------------------ elementwise */

static int activation(js_onnx_reader *r, const Onnx__NodeProto *node, const char *const *known,
                      js_activation act) {
  js_onnx_value *x;
  int rc = begin(r, node, known, 0, &x);
  return rc ? rc
            : define_like(r, node, js_onnx_added(r, node, js_net_add_activation(r->net, x->node,
                                                                                act)),
                          x);
}

static int import_relu(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return activation(r, node, no_attributes, (js_activation){JS_ACT_RELU, 0});
}

static int import_tanh(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return activation(r, node, no_attributes, (js_activation){JS_ACT_TANH, 0});
}

static int import_sigmoid(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return activation(r, node, no_attributes, (js_activation){JS_ACT_SIGMOID, 0});
}

static int import_softplus(js_onnx_reader *r, const Onnx__NodeProto *node) {
  return activation(r, node, no_attributes, (js_activation){JS_ACT_SOFTPLUS, 0});
}

static int import_leaky(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"alpha", NULL};
  double alpha;
  int rc = js_onnx_attr_float(r, node, "alpha", 0.01, &alpha);
  return rc ? rc : activation(r, node, known, (js_activation){JS_ACT_LEAKY, alpha});
}

/* PRelu with a fixed scalar slope (how js_net_save_onnx writes a leaky
 * slope that a float attribute would round); a slope that is a parameter
 * is refused, since jacspec's leaky ReLU does not train its slope. */
static int import_prelu(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *slope;
  int rc = js_onnx_constant_input(r, node, 1, "slope", &slope);
  if (rc)
    return rc;
  if (slope->param || slope->constant.size != 1 || !slope->constant.is_float)
    return js_onnx_node_fail(r, node, "the slope '%s' must be a float scalar constant (a "
                             "trained slope is not supported)", slope->name);
  return activation(r, node, no_attributes,
                    (js_activation){JS_ACT_LEAKY, slope->constant.data[0]});
}

/* Identity: the output is another name for the input. */
static int import_identity(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *x;
  int rc = js_onnx_check_attributes(r, node, no_attributes);
  if (rc || (rc = js_onnx_outputs(r, node, 1)) || (rc = js_onnx_input(r, node, 0, &x)))
    return rc;
  if (x->node >= 0)
    return js_onnx_define(r, node->output[0], x->node, x->ndim, x->dim);
  js_onnx_array copy = x->constant;
  if (!(copy.data = js_alloc((size_t)(copy.size ? copy.size : 1), sizeof(double), "constant")))
    return JS_ENOMEM;
  memcpy(copy.data, x->constant.data, sizeof(double) * (size_t)copy.size);
  return js_onnx_define_constant(r, node->output[0], &copy);
}

/* ------------------------------------------------------------ shapes */

static int import_flatten(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"axis", NULL};
  js_onnx_value *x;
  int64_t axis;
  int rc = begin(r, node, known, 0, &x);
  if (rc || (rc = js_onnx_attr_int(r, node, "axis", 1, &axis)))
    return rc;
  if (axis != 1 && axis != -(int64_t)x->ndim)
    return js_onnx_node_fail(r, node, "axis = %lld: only axis = 1 (keeping the batch "
                             "dimension) is supported", (long long)axis);
  int id = js_onnx_added(r, node, js_net_add_flatten(r->net, x->node));
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, 0, NULL);
}

/* Reshape to a constant shape whose first entry is the batch (0, -1, or
 * the model's numeric batch size) and whose rest flattens the sample or
 * keeps its shape: anything else would reorder the image axes. */
static int import_reshape(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"allowzero", NULL};
  js_onnx_value *x, *s;
  int64_t allowzero;
  int rc = begin(r, node, known, 0, &x);
  if (rc || (rc = js_onnx_attr_int(r, node, "allowzero", 0, &allowzero)) ||
      (rc = js_onnx_constant_input(r, node, 1, "shape", &s)))
    return rc;
  int64_t size = 1, known_size = 1, t[JS_ONNX_MAX_RANK];
  for (int a = 0; a < x->ndim; a++)
    size *= x->dim[a];
  int n = (int)s->constant.size, infer = -1, ok = !s->constant.is_float && s->ndim == 1 &&
                                                  n >= 1 && n <= JS_ONNX_MAX_RANK;
  for (int i = 0; ok && i < n; i++) {
    t[i] = (int64_t)s->constant.data[i];
    if (i == 0)
      ok = t[0] == 0 || t[0] == -1 || (t[0] >= 1 && t[0] == r->batch);
    else if (t[i] == 0 && !allowzero && i - 1 < x->ndim)
      t[i] = x->dim[i - 1];
    if (i > 0 && t[i] == -1 && infer < 0 && t[0] != -1)
      infer = i;
    else if (i > 0)
      ok = ok && t[i] >= 1 && t[i] <= size && (known_size *= t[i]) <= size;
  }
  if (ok && infer > 0)
    ok = size % known_size == 0 && (t[infer] = size / known_size) >= 1;
  else if (ok)
    ok = known_size == size;
  int same = ok && n - 1 == x->ndim;
  for (int i = 1; same && i < n; i++)
    same = t[i] == x->dim[i - 1];
  if (!ok || (n != 2 && !same))
    return js_onnx_node_fail(r, node, "the shape '%s' must keep the batch dimension first "
                             "and flatten the sample or keep its shape", s->name);
  if (same)
    return js_onnx_define(r, node->output[0], x->node, x->ndim, x->dim);
  int id = js_onnx_added(r, node, js_net_add_flatten(r->net, x->node));
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, 0, NULL);
}

/* ------------------------------------------------------------ batch norm */

/* Inference-mode batch normalisation as the affine node
 *   scale = gamma / sqrt(var + eps), shift = beta - mean scale,
 * whose tensors carry gamma's and beta's names: they are re-parametrised
 * (the trained values are scale and shift, not gamma and beta). */
static int import_batchnorm(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"epsilon", "momentum", "training_mode", "spatial", NULL};
  static const char *const roles[4] = {"scale", "bias", "mean", "variance"};
  js_onnx_value *x, *c[4];
  double eps;
  int64_t training, spatial;
  int rc = begin(r, node, known, 0, &x);
  if (rc || (rc = js_onnx_attr_float(r, node, "epsilon", 1e-5, &eps)) ||
      (rc = js_onnx_attr_int(r, node, "training_mode", 0, &training)) ||
      (rc = js_onnx_attr_int(r, node, "spatial", 1, &spatial)))
    return rc;
  if (training || spatial != 1 || (x->ndim != 1 && x->ndim != 3))
    return js_onnx_node_fail(r, node, "only inference mode (training_mode = 0, spatial = 1) "
                             "on (N, C) or (N, C, H, W) is supported");
  int64_t C = js_onnx_channels(x);
  for (int i = 0; i < 4; i++) {
    if ((rc = js_onnx_constant_input(r, node, (size_t)i + 1, roles[i], &c[i])))
      return rc;
    if (c[i]->ndim != 1 || c[i]->dim[0] != C || !c[i]->constant.is_float)
      return js_onnx_node_fail(r, node, "the %s '%s' must be %lld floats", roles[i],
                               c[i]->name, (long long)C);
  }
  double *values = js_alloc((size_t)(2 * C), sizeof(double), "batch norm");
  if (!values)
    return JS_ENOMEM;
  for (int64_t ch = 0; ch < C; ch++) {
    double var = c[3]->constant.data[ch];
    values[ch] = c[0]->constant.data[ch] / sqrt(var + eps);
    values[C + ch] = c[1]->constant.data[ch] - c[2]->constant.data[ch] * values[ch];
    if (!(var + eps > 0))
      rc = js_onnx_node_fail(r, node, "variance + epsilon is not positive");
  }
  js_onnx_tensor scale, shift;
  if (!rc && !(rc = js_onnx_name_tensor(r, node, c[0], "scale", &scale)) &&
      !(rc = js_onnx_name_tensor(r, node, c[1], "shift", &shift)))
    rc = define_like(r, node, js_onnx_add_affine(r, node, x, &scale, values, &shift, values + C),
                     x);
  free(values);
  return rc;
}

/* ------------------------------------------------------------ Constant */

static int import_constant(js_onnx_reader *r, const Onnx__NodeProto *node) {
  static const char *const known[] = {"value", "value_float", "value_floats", "value_int",
                                      "value_ints", NULL};
  int rc = js_onnx_check_attributes(r, node, known);
  if (rc || (rc = js_onnx_outputs(r, node, 1)))
    return rc;
  if (node->n_attribute != 1)
    return js_onnx_node_fail(r, node, "a Constant needs exactly one value attribute");
  const Onnx__AttributeProto *a = node->attribute[0];
  js_onnx_array c = {0};
  if (strcmp(a->name, "value") == 0) {
    if (!a->t)
      return js_onnx_node_fail(r, node, "the value attribute holds no tensor");
    rc = js_onnx_tensor_values(a->t, r->opt.max_tensor_size, r->path, "a Constant's value", &c);
  } else {
    int floats = strncmp(a->name, "value_float", 11) == 0, list = a->name[strlen(a->name) - 1] == 's';
    size_t n = list ? (floats ? a->n_floats : a->n_ints) : 1;
    c = (js_onnx_array){.ndim = list, .dim = {(int64_t)n}, .size = (int64_t)n, .is_float = floats};
    if (!(c.data = js_alloc(n ? n : 1, sizeof(double), "constant")))
      return JS_ENOMEM;
    for (size_t i = 0; i < n; i++)
      c.data[i] = floats ? (list ? a->floats[i] : a->f) : (double)(list ? a->ints[i] : a->i);
  }
  return rc ? rc : js_onnx_define_constant(r, node->output[0], &c);
}

/* ------------------------------------------------------------ the table */

static const struct {
  const char *op;
  js_onnx_handler handler;
} handlers[] = {
    {"Add", js_onnx_import_add},
    {"AveragePool", import_avgpool},
    {"BatchNormalization", import_batchnorm},
    {"Constant", import_constant},
    {"Conv", import_conv},
    {"Div", js_onnx_import_div},
    {"Flatten", import_flatten},
    {"Gemm", import_gemm},
    {"GlobalAveragePool", import_global_avgpool},
    {"Identity", import_identity},
    {"LeakyRelu", import_leaky},
    {"MatMul", import_matmul},
    {"MaxPool", import_maxpool},
    {"Mul", js_onnx_import_mul},
    {"Pad", import_pad},
    {"PRelu", import_prelu},
    {"Relu", import_relu},
    {"Reshape", import_reshape},
    {"Sigmoid", import_sigmoid},
    {"Softplus", import_softplus},
    {"Sub", js_onnx_import_sub},
    {"Tanh", import_tanh},
};
#define N_HANDLERS (sizeof handlers / sizeof handlers[0])

js_onnx_handler js_onnx_find_handler(const char *op_type) {
  for (size_t i = 0; i < N_HANDLERS; i++)
    if (strcmp(handlers[i].op, op_type) == 0)
      return handlers[i].handler;
  return NULL;
}

void js_onnx_supported_ops(char *buf, size_t size) {
  buf[0] = '\0';
  for (size_t i = 0; i < N_HANDLERS; i++)
    snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", handlers[i].op);
}

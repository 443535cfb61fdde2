/* Add, Sub, Mul and Div. Between two graph values only Add (a sum node of
 * equal shapes) and Mul(x, x) * 0.5 (jacspec's quadratic activation) are
 * supported; with a constant, each becomes a per-channel affine node
 * z = scale x + shift, refused when the constant broadcasts along any axis
 * other than the channels (or the entries of a flat sample). */
#include "model/onnx/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t js_onnx_channels(const js_onnx_value *v) {
  return v->ndim == 3 ? v->dim[0] : v->ndim == 1 ? v->dim[0] : 1;
}

/* 1 when constant c broadcasts against graph value v (per-sample dims,
 * the batch axis in front) along v's channel axis at most; out gets the C
 * values, *exact whether c holds exactly C. */
static int channel_broadcast(const js_onnx_value *v, const js_onnx_value *c, double *out,
                             int *exact) {
  int full = v->ndim + 1; /* with the batch axis */
  if (c->ndim > full || !c->constant.is_float)
    return 0;
  int64_t channels = js_onnx_channels(v);
  int varies = 0; /* c has the channel axis */
  for (int j = 0; j < c->ndim; j++) {
    int axis = full - c->ndim + j; /* of the full value; 0 is the batch */
    if (c->dim[j] == 1)
      continue;
    if (axis == 0 || c->dim[j] != v->dim[axis - 1] || axis != 1 ||
        (v->ndim != 1 && v->ndim != 3))
      return 0;
    varies = 1;
  }
  for (int64_t ch = 0; ch < channels; ch++)
    out[ch] = c->constant.data[varies ? ch : 0];
  *exact = c->constant.size == channels;
  return 1;
}

int js_onnx_channel_values(const js_onnx_reader *r, const Onnx__NodeProto *node,
                           const js_onnx_value *v, const js_onnx_value *c, double *out,
                           int *exact) {
  if (channel_broadcast(v, c, out, exact))
    return JS_OK;
  char have[160] = "", want[160] = "";
  for (int j = 0; j < c->ndim; j++)
    snprintf(have + strlen(have), sizeof have - strlen(have), "%s%lld", j ? ", " : "",
             (long long)c->dim[j]);
  for (int j = 0; j < v->ndim; j++)
    snprintf(want + strlen(want), sizeof want - strlen(want), ", %lld", (long long)v->dim[j]);
  return js_onnx_node_fail(r, node, "the constant '%s' of shape (%s)%s does not broadcast "
                           "per channel against the tensor (N%s): supported are scalars and "
                           "(C), (C, 1, 1) or (1, C, 1, 1) shapes", c->name, have,
                           c->constant.is_float ? "" : " (integer)", want);
}

int js_onnx_add_affine(js_onnx_reader *r, const Onnx__NodeProto *node, const js_onnx_value *v,
                       const js_onnx_tensor *scale_name, const double *scale,
                       const js_onnx_tensor *shift_name, const double *shift) {
  int id = js_onnx_added(r, node, js_graph_add_affine(r->net, v->node, scale_name->name,
                                                      shift_name->name));
  int rc = id < 0 ? id : js_onnx_set_tensor(r, id, 0, scale_name, scale);
  if (!rc)
    rc = js_onnx_set_tensor(r, id, 1, shift_name, shift);
  return rc ? rc : id;
}

const Onnx__NodeProto *js_onnx_following_bias(const js_onnx_reader *r, const char *name,
                                              const js_onnx_value *like, double *values,
                                              js_onnx_value **src) {
  const Onnx__NodeProto *add = js_onnx_sole_consumer(r, name);
  if (!add || strcmp(add->op_type, "Add") || add->n_input != 2 || add->n_attribute ||
      add->n_output != 1 || strcmp(add->input[0], add->input[1]) == 0)
    return NULL;
  js_onnx_value *c = js_onnx_find(r, add->input[strcmp(add->input[0], name) == 0]);
  int exact;
  if (!c || c->node >= 0 || !channel_broadcast(like, c, values, &exact))
    return NULL;
  *src = exact ? c : NULL;
  return add;
}

/* The graph value and the constant of a binary op, whichever order they
 * come in (*first: the graph value is input 1). */
static int operands(const js_onnx_reader *r, const Onnx__NodeProto *node, js_onnx_value **v,
                    js_onnx_value **c, int *first) {
  static const char *const none[] = {NULL};
  int rc = js_onnx_check_attributes(r, node, none);
  if (rc || (rc = js_onnx_outputs(r, node, 1)) || (rc = js_onnx_input(r, node, 0, v)) ||
      (rc = js_onnx_input(r, node, 1, c)))
    return rc;
  if (node->n_input != 2)
    return js_onnx_node_fail(r, node, "%zu inputs; 2 expected", node->n_input);
  *first = 1;
  if ((*v)->node < 0) {
    js_onnx_value *t = *v;
    *v = *c;
    *c = t;
    *first = 0;
  }
  if ((*v)->node < 0)
    return js_onnx_node_fail(r, node, "both inputs are constants (folding constants is not "
                             "supported)");
  return JS_OK;
}

/* The affine node of x op c: scale and shift per channel from c's values
 * (transform), c's tensor named after c when `named` says which of scale
 * (0) and shift (1) it is; a following Add of a bias becomes the shift of a
 * Mul's affine node. */
typedef enum { SHIFT_BY_C, SHIFT_BY_MINUS_C, SCALE_BY_C, SCALE_BY_INVERSE_C, C_MINUS_X } js_affine_form;

static int affine_of(js_onnx_reader *r, const Onnx__NodeProto *node, js_onnx_value *v,
                     js_onnx_value *c, js_affine_form form) {
  int64_t C = js_onnx_channels(v);
  double *values = js_alloc((size_t)(3 * C), sizeof(double), "affine constants");
  if (!values)
    return JS_ENOMEM;
  double *scale = values, *shift = values + C, *cvals = values + 2 * C;
  int exact, rc = js_onnx_channel_values(r, node, v, c, cvals, &exact);
  int c_is_scale = form == SCALE_BY_C || form == SCALE_BY_INVERSE_C;
  for (int64_t ch = 0; !rc && ch < C; ch++) {
    double x = cvals[ch];
    if (form == SCALE_BY_INVERSE_C && x == 0.0)
      rc = js_onnx_node_fail(r, node, "the divisor '%s' has a zero entry", c->name);
    scale[ch] = form == SCALE_BY_C ? x : form == SCALE_BY_INVERSE_C ? 1.0 / x
                : form == C_MINUS_X ? -1.0 : 1.0;
    shift[ch] = form == SHIFT_BY_C || form == C_MINUS_X ? x : form == SHIFT_BY_MINUS_C ? -x : 0;
  }
  js_onnx_tensor scale_name, shift_name;
  js_onnx_value *shift_src = c_is_scale ? NULL : exact ? c : NULL;
  const Onnx__NodeProto *add = NULL;
  const char *out = node->output[0];
  if (!rc && form == SCALE_BY_C &&
      (add = js_onnx_following_bias(r, out, v, shift, &shift_src)))
    out = add->output[0];
  if (!rc)
    rc = js_onnx_name_tensor(r, node, c_is_scale && exact ? c : NULL, "scale", &scale_name);
  if (!rc)
    rc = js_onnx_name_tensor(r, add ? add : node, shift_src, "shift", &shift_name);
  int id = rc ? rc : js_onnx_add_affine(r, node, v, &scale_name, scale, &shift_name, shift);
  free(values);
  if (id < 0)
    return id;
  if (add)
    js_onnx_mark_done(r, add);
  return js_onnx_define(r, out, id, v->ndim, v->dim);
}

static int same_dims(const js_onnx_value *a, const js_onnx_value *b) {
  if (a->ndim != b->ndim)
    return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dim[i] != b->dim[i])
      return 0;
  return 1;
}

int js_onnx_import_add(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *v, *c;
  int first, rc = operands(r, node, &v, &c, &first);
  if (rc)
    return rc;
  if (c->node < 0)
    return affine_of(r, node, v, c, SHIFT_BY_C);
  if (v == c || !same_dims(v, c))
    return js_onnx_node_fail(r, node, "a sum of two graph tensors needs two different "
                             "tensors of the same shape (no broadcasting)");
  int id = js_onnx_added(r, node, js_net_add_sum(r->net, v->node, c->node));
  return id < 0 ? id : js_onnx_define(r, node->output[0], id, v->ndim, v->dim);
}

int js_onnx_import_sub(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *v, *c;
  int first, rc = operands(r, node, &v, &c, &first);
  if (rc)
    return rc;
  if (c->node >= 0)
    return js_onnx_node_fail(r, node, "a difference of two graph tensors is not supported "
                             "(only a tensor minus a constant, or a constant minus a tensor)");
  return affine_of(r, node, v, c, first ? SHIFT_BY_MINUS_C : C_MINUS_X);
}

int js_onnx_import_div(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *v, *c;
  int first, rc = operands(r, node, &v, &c, &first);
  if (rc)
    return rc;
  if (c->node >= 0 || !first)
    return js_onnx_node_fail(r, node, "only a graph tensor divided by a constant is "
                             "supported");
  return affine_of(r, node, v, c, SCALE_BY_INVERSE_C);
}

/* Mul(x, x) whose sole consumer multiplies by 0.5: the quadratic
 * activation z^2 / 2 (how js_net_save_onnx writes it). */
static int quadratic(js_onnx_reader *r, const Onnx__NodeProto *node, js_onnx_value *v) {
  const Onnx__NodeProto *half = js_onnx_sole_consumer(r, node->output[0]);
  js_onnx_value *c = NULL;
  if (half && strcmp(half->op_type, "Mul") == 0 && half->n_input == 2 && !half->n_attribute)
    c = js_onnx_find(r, half->input[strcmp(half->input[0], node->output[0]) == 0]);
  if (!c || c->node >= 0 || !c->constant.is_float || c->constant.size != 1 ||
      c->constant.data[0] != 0.5 || c->ndim > 1 || half->n_output != 1)
    return js_onnx_node_fail(r, node, "a product of a tensor with itself is supported only "
                             "as Mul(Mul(x, x), 0.5), jacspec's quadratic activation");
  int id = js_onnx_added(r, node, js_net_add_activation(r->net, v->node,
                                                        (js_activation){JS_ACT_QUADRATIC, 0}));
  if (id < 0)
    return id;
  js_onnx_mark_done(r, half);
  return js_onnx_define(r, half->output[0], id, v->ndim, v->dim);
}

int js_onnx_import_mul(js_onnx_reader *r, const Onnx__NodeProto *node) {
  js_onnx_value *v, *c;
  int first, rc = operands(r, node, &v, &c, &first);
  if (rc)
    return rc;
  if (c == v)
    return quadratic(r, node, v);
  if (c->node >= 0)
    return js_onnx_node_fail(r, node, "a product of two different graph tensors is not "
                             "supported");
  return affine_of(r, node, v, c, SCALE_BY_C);
}

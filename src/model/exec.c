#include "model/exec.h"

#include "core/error.h"
#include "model/ops/ops.h"

#include <stdlib.h>
#include <string.h>

/* Parameter values, input values and what the op keeps, for node i. In
 * the products only kept values are valid (transient slots may have been
 * reused), so the others are passed as NULL. */
static void call_init(const js_exec *e, int i, int64_t B, int64_t b, int products,
                      js_op_call *c) {
  const js_net *net = e->s->net;
  const js_node *node = &net->nodes[i];
  *c = (js_op_call){.k = e->k, .node = node, .B = B, .b = b, .dw_stride = net->n_theta,
                    .scratch = e->scratch};
  for (int t = 0; t < node->n_inputs; t++) {
    int in = node->input[t];
    c->x[t] = !products || e->s->kept[in] ? e->value[in] : NULL;
  }
  for (int slot = 0; slot < 2; slot++)
    if (node->param[slot] >= 0)
      c->w[slot] = js_elem(e->k, e->values, net->params[node->param[slot]].offset);
  c->saved = products ? e->saved[i] : NULL;
}

/* The slice of tensor param[slot] in a p x b block, or NULL if untrained. */
static void *param_slice(const js_exec *e, const js_node *node, int slot, const void *block) {
  if (node->param[slot] < 0)
    return NULL;
  const js_param *p = &e->s->net->params[node->param[slot]];
  return p->trained ? js_elem(e->k, block, p->theta_offset) : NULL;
}

/* Values of the nodes that reach f, in order; `products` keeps saved data. */
static void forward_walk(js_exec *e, const int64_t *slot, int64_t B, int products) {
  const js_schedule *s = e->s;
  for (int i = 1; i < s->n_nodes; i++) {
    if (!s->reaches[i])
      continue;
    if (slot[i] >= 0)
      e->value[i] = js_elem(e->k, e->slots, slot[i] * B);
    js_op_call c;
    call_init(e, i, B, 0, 0, &c);
    c.y = e->value[i];
    c.saved = products && s->active[i] ? e->saved[i] : NULL;
    js_op_of(s->net->nodes[i].kind)->forward(&c);
  }
}

void js_exec_forward(js_exec *e, int64_t B) { forward_walk(e, e->s->value_slot, B, 1); }

void js_exec_tangent_slots(js_exec *e, const int64_t *slot, int64_t B, int64_t b) {
  for (int i = 0; i < e->s->n_nodes; i++)
    e->tangent[i] = slot[i] >= 0 ? js_elem(e->k, e->slots, slot[i] * b * B) : NULL;
}

void js_exec_jvp(js_exec *e, const void *v, int64_t B, int64_t b) {
  const js_schedule *s = e->s;
  js_exec_tangent_slots(e, s->tangent_slot, B, b);
  for (int i = 1; i < s->n_nodes; i++) {
    if (!s->active[i])
      continue;
    const js_node *node = &s->net->nodes[i];
    js_op_call c;
    call_init(e, i, B, b, 1, &c);
    for (int t = 0; t < node->n_inputs; t++)
      c.dx[t] = s->active[node->input[t]] ? e->tangent[node->input[t]] : NULL;
    for (int slot = 0; slot < 2; slot++)
      c.dw[slot] = param_slice(e, node, slot, v);
    c.dy = e->tangent[i];
    js_op_of(node->kind)->jvp(&c);
  }
}

void js_exec_vjp(js_exec *e, void *g, int64_t B, int64_t b) {
  const js_schedule *s = e->s;
  memset(e->opened, 0, (size_t)s->n_nodes);
  e->opened[s->net->output] = 1;
  for (int j = s->n_nodes - 1; j > 0; j--) {
    if (!s->active[j] || !e->opened[j])
      continue;
    const js_node *node = &s->net->nodes[j];
    js_op_call c;
    call_init(e, j, B, b, 1, &c);
    for (int t = 0; t < node->n_inputs; t++) {
      int in = node->input[t];
      if (!s->active[in])
        continue;
      if (!e->opened[in]) { /* the named zeroing step: reverse mode accumulates */
        memset(e->tangent[in], 0, e->k->size * (size_t)(b * B * s->net->nodes[in].size));
        e->opened[in] = 1;
      }
      c.gx[t] = e->tangent[in];
    }
    for (int slot = 0; slot < 2; slot++)
      c.dw[slot] = param_slice(e, node, slot, g);
    c.gy = e->tangent[j];
    js_op_of(node->kind)->vjp(&c);
  }
}

int js_exec_outputs(const js_net *net, const double *values, const double *x,
                    int64_t n_samples, double *f) {
  js_schedule s;
  int status = js_schedule_create(net, JS_PRECISION_DOUBLE, &s);
  if (status)
    return status;
  int64_t B = 1;
  while (B < n_samples && js_schedule_plain_workspace(&s, 2 * B) <= JS_BATCH_CAP)
    B *= 2;
  B = B < n_samples ? B : n_samples;
  void *work = js_alloc(js_schedule_plain_workspace(&s, B), 1, "forward workspace");
  void **value = js_alloc((size_t)net->n_nodes, sizeof(void *), "forward views");
  if (!work || !value) {
    status = JS_ENOMEM;
    goto done;
  }
  js_exec e = {.s = &s, .k = js_kernels_of(JS_PRECISION_DOUBLE), .values = values,
               .value = value, .slots = work,
               .scratch = (char *)work + js_align((size_t)(B * s.plain_units) * sizeof(double))};
  int64_t K = net->nodes[net->output].size, d = net->nodes[0].size;
  for (int64_t i0 = 0; i0 < n_samples; i0 += B) {
    int64_t nb = n_samples - i0 < B ? n_samples - i0 : B;
    value[0] = (void *)(x + i0 * d);
    forward_walk(&e, s.plain_slot, nb, 0);
    memcpy(f + i0 * K, value[net->output], sizeof(double) * (size_t)(nb * K));
  }
done:
  free(work);
  free(value);
  js_schedule_free(&s);
  return status;
}

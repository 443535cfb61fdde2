/* The activation h = phi(z), elementwise, in its three modes. Its Jacobian
 * is diag(phi'(z)), so forward and reverse mode share one kernel (scale by
 * phi'(z), kept by the forward pass in `saved`).
 *
 * Legend: B samples, b vectors, n = size entries per sample. z and h are
 * (B, n), phi'(z) is (B, n), tangents and cotangents (b, B, n). */
#include "model/ops/ops.h"

#include <string.h>

static size_t activation_saved(const js_node *node, const js_kernels *k) {
  return k->size * (size_t)node->size;
}

/* h = phi(z), and phi'(z) into saved when the products need it. */
static void activation_forward(const js_op_call *c) {
  int64_t n = c->B * c->node->size;
  if (c->saved)
    c->k->act_derivative(c->node->act, c->saved, c->x[0], n);
  c->k->act_forward(c->node->act, c->y, c->x[0], n);
}

/* dh_j = phi'(z) * dz_j. */
static void activation_jvp(const js_op_call *c) {
  int64_t n = c->B * c->node->size;
  memcpy(c->dy, c->dx[0], c->k->size * (size_t)(c->b * n));
  c->k->scale_block(c->dy, c->saved, n, c->b);
}

/* gz_j += phi'(z) * gh_j. */
static void activation_vjp(const js_op_call *c) {
  c->k->scale_add_block(c->gx[0], c->gy, c->saved, c->B * c->node->size, c->b);
}

const js_op js_op_activation = {.name = "activation", .saved_size = activation_saved,
                                .forward = activation_forward, .jvp = activation_jvp,
                                .vjp = activation_vjp};

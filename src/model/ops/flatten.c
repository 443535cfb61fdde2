/* (C, H, W) -> (C H W): the same entries in the same (row-major) order
 * under a flat shape, so all three modes copy (reverse mode accumulates).
 * Legend: B samples, b vectors, n = size. */
#include "model/ops/ops.h"

#include <string.h>

static void flatten_forward(const js_op_call *c) {
  memcpy(c->y, c->x[0], c->k->size * (size_t)(c->B * c->node->size));
}

static void flatten_jvp(const js_op_call *c) {
  memcpy(c->dy, c->dx[0], c->k->size * (size_t)(c->b * c->B * c->node->size));
}

static void flatten_vjp(const js_op_call *c) {
  c->k->axpy(c->b * c->B * c->node->size, 1.0, c->gy, c->gx[0]);
}

const js_op js_op_flatten = {.name = "flatten", .forward = flatten_forward,
                             .jvp = flatten_jvp, .vjp = flatten_vjp};

/* z = a + b (residual connections): linear, parameter-free. Reverse mode
 * is the fan-out: both inputs accumulate the same cotangent.
 * Legend: B samples, b vectors, n = size; all blocks (b, B, n). */
#include "model/ops/ops.h"

#include <string.h>

static void sum_forward(const js_op_call *c) {
  int64_t n = c->B * c->node->size;
  memcpy(c->y, c->x[0], c->k->size * (size_t)n);
  c->k->axpy(n, 1.0, c->x[1], c->y);
}

/* dz = da + db, either may be zero (NULL). */
static void sum_jvp(const js_op_call *c) {
  int64_t n = c->b * c->B * c->node->size;
  const void *first = c->dx[0] ? c->dx[0] : c->dx[1];
  memcpy(c->dy, first, c->k->size * (size_t)n);
  if (c->dx[0] && c->dx[1])
    c->k->axpy(n, 1.0, c->dx[1], c->dy);
}

/* ga += gz, gb += gz. */
static void sum_vjp(const js_op_call *c) {
  int64_t n = c->b * c->B * c->node->size;
  for (int t = 0; t < 2; t++)
    if (c->gx[t])
      c->k->axpy(n, 1.0, c->gy, c->gx[t]);
}

const js_op js_op_add = {.name = "sum", .forward = sum_forward, .jvp = sum_jvp,
                         .vjp = sum_vjp};

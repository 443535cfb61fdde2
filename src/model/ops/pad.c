/* Zero padding of the height and width of each channel:
 *   y[c, pad_t + h, pad_l + w] = x[c, h, w], zero elsewhere.
 * Linear: jvp is the forward on dx; vjp is its transpose, the crop of gy
 * added to gx. Both move whole rows, so one code serves both element types.
 *
 * Legend (B and b as in ops.h):
 *   C, H, W    channels, input height, width; in = C H W
 *   Ho, Wo     H + pad_t + pad_b, W + pad_l + pad_r; out = C Ho Wo
 *   n          samples (b B for the tangents of a block) */
#include "model/ops/ops.h"

#include <string.h>

typedef struct pad_dims {
  int64_t C, H, W, Ho, Wo, pad_t, pad_l;
} pad_dims;

static pad_dims dims_of(const js_node *node) {
  pad_dims d;
  d.C = node->in_shape.dim[0], d.H = node->in_shape.dim[1], d.W = node->in_shape.dim[2];
  d.Ho = node->shape.dim[1], d.Wo = node->shape.dim[2];
  d.pad_t = node->window.pad[0], d.pad_l = node->window.pad[1];
  return d;
}

/* Element of the output plane where input row h starts. */
static int64_t row_start(const pad_dims *d, int64_t h) {
  return (d->pad_t + h) * d->Wo + d->pad_l;
}

/* y (n, C, Ho, Wo) = x (n, C, H, W) padded with zeros. */
static void pad(const js_kernels *k, void *y, const void *x, const pad_dims *d, int64_t n) {
  memset(y, 0, k->size * (size_t)(n * d->C * d->Ho * d->Wo));
  for (int64_t plane = 0; plane < n * d->C; plane++)
    for (int64_t h = 0; h < d->H; h++)
      memcpy(js_elem(k, y, plane * d->Ho * d->Wo + row_start(d, h)),
             js_elem(k, x, (plane * d->H + h) * d->W), k->size * (size_t)d->W);
}

/* gx (n, C, H, W) += the inner part of gy (n, C, Ho, Wo). */
static void crop_add(const js_kernels *k, void *gx, const void *gy, const pad_dims *d,
                     int64_t n) {
  for (int64_t plane = 0; plane < n * d->C; plane++)
    for (int64_t h = 0; h < d->H; h++)
      k->axpy(d->W, 1.0, js_elem(k, gy, plane * d->Ho * d->Wo + row_start(d, h)),
              js_elem(k, gx, (plane * d->H + h) * d->W));
}

/* y (B, out) from x (B, in). */
static void pad_forward(const js_op_call *c) {
  pad_dims d = dims_of(c->node);
  pad(c->k, c->y, c->x[0], &d, c->B);
}

/* dy (b, B, out) from dx (b, B, in). */
static void pad_jvp(const js_op_call *c) {
  pad_dims d = dims_of(c->node);
  pad(c->k, c->dy, c->dx[0], &d, c->b * c->B);
}

/* gx (b, B, in) += crop of gy (b, B, out). */
static void pad_vjp(const js_op_call *c) {
  pad_dims d = dims_of(c->node);
  if (c->gx[0])
    crop_add(c->k, c->gx[0], c->gy, &d, c->b * c->B);
}

const js_op js_op_pad = {.name = "pad",
                         .forward = pad_forward,
                         .jvp = pad_jvp,
                         .vjp = pad_vjp};

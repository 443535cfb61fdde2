/* Per-channel affine map, batch normalisation in inference form:
 *   z[c, q] = scale[c] x[c, q] + shift[c]
 * for a (C, H, W) input (q runs over the H W pixels), or per entry of a
 * flat (d) input (C = d, one pixel). Bilinear in (x, scale):
 *   jvp   dz   = scale dx + dscale x + dshift
 *   vjp   gx  += scale gy,  dscale += sum_q gy x,  dshift += sum_q gy
 * (sums also over the samples of the batch).
 *
 * Legend (B and b as in ops.h):
 *   C    channels (entries of a flat input); in = out = C Q
 *   Q    pixels per channel (1 for a flat input)
 *   n    samples (b B for the tangents of a block) */
#include "model/ops/ops.h"

#include <string.h>

/* Element loops shorter than this run on one thread (as in activation.c):
 * below it, waking the OpenMP team costs more than the work. */
#define PARALLEL_MIN 16384

static int64_t channels_of(const js_node *node) {
  return node->in_shape.ndim == 3 ? node->in_shape.dim[0] : node->in_size;
}

/* The loops that touch elements, once per element type; sums over samples
 * and pixels run in double.
 *
 * scale_shift: y (n, C, Q) = scale (C) x (n, C, Q) + shift (C, or NULL: 0).
 * scale_add: y (n, C, Q) += scale (C) x (n, C, Q).
 * shift_add: y (n, C, Q) += shift (C).
 * product_sum_add: acc (C) += sum over samples and pixels of a b, for
 * a, b (n, C, Q); b NULL: of a alone. */
#define AFFINE_LOOPS(SUFFIX, REAL)                                                       \
  static void scale_shift##SUFFIX(void *y_, const void *x_, const void *scale_,          \
                                  const void *shift_, int64_t n, int64_t C, int64_t Q) { \
    REAL *y = y_;                                                                        \
    const REAL *x = x_, *scale = scale_, *shift = shift_;                                \
    _Pragma("omp parallel for collapse(2) if (n * C * Q >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t c = 0; c < C; c++) {                                                  \
        REAL a = scale[c], t = shift ? shift[c] : 0;                                     \
        for (int64_t q = (s * C + c) * Q; q < (s * C + c + 1) * Q; q++)                  \
          y[q] = a * x[q] + t;                                                           \
      }                                                                                  \
  }                                                                                      \
  static void scale_add##SUFFIX(void *y_, const void *x_, const void *scale_, int64_t n,  \
                                int64_t C, int64_t Q) {                                  \
    REAL *y = y_;                                                                        \
    const REAL *x = x_, *scale = scale_;                                                 \
    _Pragma("omp parallel for collapse(2) if (n * C * Q >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t c = 0; c < C; c++)                                                    \
        for (int64_t q = (s * C + c) * Q; q < (s * C + c + 1) * Q; q++)                  \
          y[q] += scale[c] * x[q];                                                       \
  }                                                                                      \
  static void shift_add##SUFFIX(void *y_, const void *shift_, int64_t n, int64_t C,       \
                                int64_t Q) {                                             \
    REAL *y = y_;                                                                        \
    const REAL *shift = shift_;                                                          \
    _Pragma("omp parallel for collapse(2) if (n * C * Q >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t c = 0; c < C; c++)                                                    \
        for (int64_t q = (s * C + c) * Q; q < (s * C + c + 1) * Q; q++)                  \
          y[q] += shift[c];                                                              \
  }                                                                                      \
  static void product_sum_add##SUFFIX(void *acc_, const void *a_, const void *b_,        \
                                      int64_t n, int64_t C, int64_t Q) {                 \
    REAL *acc = acc_;                                                                    \
    const REAL *a = a_, *b = b_;                                                         \
    _Pragma("omp parallel for if (n * C * Q >= PARALLEL_MIN)")                           \
    for (int64_t c = 0; c < C; c++) {                                                    \
      double sum = 0.0;                                                                  \
      for (int64_t s = 0; s < n; s++)                                                    \
        for (int64_t q = (s * C + c) * Q; q < (s * C + c + 1) * Q; q++)                  \
          sum += b ? (double)a[q] * b[q] : a[q];                                         \
      acc[c] += (REAL)sum;                                                               \
    }                                                                                    \
  }

AFFINE_LOOPS(_d, double)
AFFINE_LOOPS(_f, float)

typedef struct affine_loops {
  void (*scale_shift)(void *y, const void *x, const void *scale, const void *shift,
                      int64_t n, int64_t C, int64_t Q);
  void (*scale_add)(void *y, const void *x, const void *scale, int64_t n, int64_t C,
                    int64_t Q);
  void (*shift_add)(void *y, const void *shift, int64_t n, int64_t C, int64_t Q);
  void (*product_sum_add)(void *acc, const void *a, const void *b, int64_t n, int64_t C,
                          int64_t Q);
} affine_loops;

static const affine_loops loops_d = {scale_shift_d, scale_add_d, shift_add_d,
                                     product_sum_add_d};
static const affine_loops loops_f = {scale_shift_f, scale_add_f, shift_add_f,
                                     product_sum_add_f};

static const affine_loops *loops_of(const js_kernels *k) {
  return k->precision == JS_PRECISION_SINGLE ? &loops_f : &loops_d;
}

/* y (B, C, Q) from x (B, C, Q), scale (C), shift (C). */
static void affine_forward(const js_op_call *c) {
  int64_t C = channels_of(c->node), Q = c->node->in_size / C;
  loops_of(c->k)->scale_shift(c->y, c->x[0], c->w[0], c->w[1], c->B, C, Q);
}

/* dy (b, B, C, Q) = scale dx_j + dscale_j x + dshift_j, for dx (b, B, C, Q)
 * and dscale_j, dshift_j (C) at dw[i] + j p. */
static void affine_jvp(const js_op_call *c) {
  const js_kernels *k = c->k;
  const affine_loops *L = loops_of(k);
  int64_t C = channels_of(c->node), Q = c->node->in_size / C, size = C * Q;
  if (c->dx[0])
    L->scale_shift(c->dy, c->dx[0], c->w[0], NULL, c->b * c->B, C, Q);
  else
    memset(c->dy, 0, k->size * (size_t)(c->b * c->B * size));
  for (int64_t j = 0; j < c->b; j++) {
    void *dy = js_elem(k, c->dy, j * c->B * size);
    if (c->dw[0])
      L->scale_add(dy, c->x[0], js_elem(k, c->dw[0], j * c->dw_stride), c->B, C, Q);
    if (c->dw[1])
      L->shift_add(dy, js_elem(k, c->dw[1], j * c->dw_stride), c->B, C, Q);
  }
}

/* gx (b, B, C, Q) += scale gy_j; dscale_j (C) += sum gy_j x; dshift_j (C)
 * += sum gy_j, for gy (b, B, C, Q). */
static void affine_vjp(const js_op_call *c) {
  const js_kernels *k = c->k;
  const affine_loops *L = loops_of(k);
  int64_t C = channels_of(c->node), Q = c->node->in_size / C, size = C * Q;
  if (c->gx[0])
    L->scale_add(c->gx[0], c->gy, c->w[0], c->b * c->B, C, Q);
  for (int64_t j = 0; j < c->b; j++) {
    const void *gy = js_elem(k, c->gy, j * c->B * size);
    if (c->dw[0])
      L->product_sum_add(js_elem(k, c->dw[0], j * c->dw_stride), gy, c->x[0], c->B, C, Q);
    if (c->dw[1])
      L->product_sum_add(js_elem(k, c->dw[1], j * c->dw_stride), gy, NULL, c->B, C, Q);
  }
}

const js_op js_op_affine = {.name = "affine",
                            .input_for_weight = 1,
                            .forward = affine_forward,
                            .jvp = affine_jvp,
                            .vjp = affine_vjp};

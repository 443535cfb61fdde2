/* Pooling over windows of each channel: average, maximum, and the global
 * average over a whole channel. None has parameters.
 *   average   y[c, oh, ow] = w(oh, ow) sum of x[c, ih, iw] over the window's
 *             cells inside the image; w = 1 / (kh kw) when padded cells count
 *             in the mean (count_include_pad), else 1 / (cells inside), as in
 *             ONNX AveragePool. Linear: jvp is the forward on dx, vjp its
 *             transpose (each cell gets w gy).
 *   maximum   y = the largest x over the window's cells inside the image (the
 *             padding is -Inf); ties go to the first cell in window order
 *             (row by row). Piecewise linear: jvp and vjp route through the
 *             cell that won, which the forward saves.
 *   global    y[c] = mean of x[c, :, :], out (C, 1, 1).
 * Window cell (i, j) of output (oh, ow) reads input
 * (oh sh - pad_t + i dil_h, ow sw - pad_l + j dil_w); the builder sets the
 * dilation to 1 unless a model asks for another.
 *
 * Legend (B and b as in ops.h):
 *   C, H, W    channels, input height, width; in = C H W
 *   Ho, Wo     output height, width; out = C Ho Wo
 *   kh, kw     window height and width
 *   Q          H W: pixels of one channel (global average)
 *
 * Saved by max pooling, per sample: argmax (C, Ho, Wo) int32_t, the index
 * within the sample's input (c H W + ih W + iw) of the cell that won, or -1
 * for a window lying wholly on the padding (output -Inf, derivative 0). */
#include "model/ops/ops.h"
#include "model/ops/window.h"

#include <math.h>
#include <string.h>

/* Element loops shorter than this run on one thread (as in activation.c):
 * below it, waking the OpenMP team costs more than the work. */
#define PARALLEL_MIN 16384

typedef struct pool_dims {
  int64_t C, H, W, Ho, Wo;
  int64_t kh, kw, sh, sw, dil_h, dil_w, pad_t, pad_l;
  int count_include_pad;
  int64_t in, out;
} pool_dims;

static pool_dims dims_of(const js_node *node) {
  const js_window *win = &node->window;
  pool_dims d;
  d.C = node->in_shape.dim[0], d.H = node->in_shape.dim[1], d.W = node->in_shape.dim[2];
  d.Ho = node->shape.dim[1], d.Wo = node->shape.dim[2];
  d.kh = win->kernel[0], d.kw = win->kernel[1];
  d.sh = win->stride[0], d.sw = win->stride[1];
  d.dil_h = win->dilation[0], d.dil_w = win->dilation[1];
  d.pad_t = win->pad[0], d.pad_l = win->pad[1];
  d.count_include_pad = win->count_include_pad;
  d.in = node->in_size;
  d.out = node->size;
  return d;
}

/* The window of output (oh, ow): its first cell's input position (top,
 * left), maybe on the padding, and the rows and columns inside the image. */
typedef struct window_cells {
  int64_t top, left;
  span rows, cols;
} window_cells;

static window_cells window_at(const pool_dims *d, int64_t oh, int64_t ow) {
  window_cells w;
  w.top = oh * d->sh - d->pad_t;
  w.left = ow * d->sw - d->pad_l;
  w.rows = inside(w.top, d->dil_h, d->H, d->kh);
  w.cols = inside(w.left, d->dil_w, d->W, d->kw);
  return w;
}

/* Index within a channel plane of window cell (i, j). */
static int64_t cell_index(const pool_dims *d, const window_cells *w, int64_t i, int64_t j) {
  return (w->top + i * d->dil_h) * d->W + w->left + j * d->dil_w;
}

/* The weight of each cell in an average; 0 for a window with no cell
 * inside when the padding does not count (an empty mean). */
static double mean_weight(const pool_dims *d, const window_cells *w) {
  int64_t cells = (w->rows.hi - w->rows.lo) * (w->cols.hi - w->cols.lo);
  if (d->count_include_pad)
    return 1.0 / (double)(d->kh * d->kw);
  return cells > 0 ? 1.0 / (double)cells : 0.0;
}

/* The loops that touch elements, once per element type. A parallel loop
 * gives each thread whole channel planes (or whole samples) of its output,
 * so no two threads write the same element; sums run in double.
 *
 * avg: y (n, C, Ho, Wo) = the window means of x (n, C, H, W).
 * avg_transpose_add: gx (n, C, H, W) += its transpose applied to
 * gy (n, C, Ho, Wo).
 * max: y (n, C, Ho, Wo) = the window maxima of x (n, C, H, W); argmax
 * (n, C, Ho, Wo) the winners, when non-NULL.
 * max_route: dy (b, B, out) = dx (b, B, in) at argmax (B, out).
 * max_route_add: gx (b, B, in) at argmax (B, out) += gy (b, B, out).
 * mean: y (rows) = the means of x (rows, Q).
 * spread_add: gx (rows, Q) += gy (rows) / Q. */
#define POOL_LOOPS(SUFFIX, REAL)                                                          \
  static void avg##SUFFIX(void *y_, const void *x_, const pool_dims *d, int64_t n) {      \
    REAL *y = y_;                                                                         \
    const REAL *x = x_;                                                                   \
    int64_t C = d->C;                                                                     \
    _Pragma("omp parallel for collapse(2) if (n * d->out >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                       \
      for (int64_t c = 0; c < C; c++) {                                                   \
        const REAL *plane = x + (s * d->C + c) * d->H * d->W;                             \
        REAL *dst = y + (s * d->C + c) * d->Ho * d->Wo;                                   \
        for (int64_t oh = 0; oh < d->Ho; oh++)                                            \
          for (int64_t ow = 0; ow < d->Wo; ow++) {                                        \
            window_cells w = window_at(d, oh, ow);                                        \
            double sum = 0.0;                                                             \
            for (int64_t i = w.rows.lo; i < w.rows.hi; i++)                               \
              for (int64_t j = w.cols.lo; j < w.cols.hi; j++)                             \
                sum += plane[cell_index(d, &w, i, j)];                                    \
            dst[oh * d->Wo + ow] = (REAL)(sum * mean_weight(d, &w));                      \
          }                                                                               \
      }                                                                                   \
  }                                                                                       \
  static void avg_transpose_add##SUFFIX(void *gx_, const void *gy_, const pool_dims *d,   \
                                        int64_t n) {                                      \
    REAL *gx = gx_;                                                                       \
    const REAL *gy = gy_;                                                                 \
    int64_t C = d->C;                                                                     \
    _Pragma("omp parallel for collapse(2) if (n * d->out >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                       \
      for (int64_t c = 0; c < C; c++) {                                                   \
        REAL *plane = gx + (s * d->C + c) * d->H * d->W;                                  \
        const REAL *src = gy + (s * d->C + c) * d->Ho * d->Wo;                            \
        for (int64_t oh = 0; oh < d->Ho; oh++)                                            \
          for (int64_t ow = 0; ow < d->Wo; ow++) {                                        \
            window_cells w = window_at(d, oh, ow);                                        \
            REAL g = (REAL)(src[oh * d->Wo + ow] * mean_weight(d, &w));                   \
            for (int64_t i = w.rows.lo; i < w.rows.hi; i++)                               \
              for (int64_t j = w.cols.lo; j < w.cols.hi; j++)                             \
                plane[cell_index(d, &w, i, j)] += g;                                      \
          }                                                                               \
      }                                                                                   \
  }                                                                                       \
  static void max##SUFFIX(void *y_, int32_t *argmax, const void *x_, const pool_dims *d,  \
                          int64_t n) {                                                    \
    REAL *y = y_;                                                                         \
    const REAL *x = x_;                                                                   \
    int64_t C = d->C;                                                                     \
    _Pragma("omp parallel for collapse(2) if (n * d->out >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                       \
      for (int64_t c = 0; c < C; c++) {                                                   \
        const REAL *plane = x + (s * d->C + c) * d->H * d->W;                             \
        int64_t first = (s * d->C + c) * d->Ho * d->Wo;                                   \
        for (int64_t oh = 0; oh < d->Ho; oh++)                                            \
          for (int64_t ow = 0; ow < d->Wo; ow++) {                                        \
            window_cells w = window_at(d, oh, ow);                                        \
            int64_t won = -1;                                                             \
            for (int64_t i = w.rows.lo; i < w.rows.hi; i++)                               \
              for (int64_t j = w.cols.lo; j < w.cols.hi; j++) {                           \
                int64_t cell = cell_index(d, &w, i, j);                                   \
                if (won < 0 || plane[cell] > plane[won])                                  \
                  won = cell;                                                             \
              }                                                                           \
            int64_t o = first + oh * d->Wo + ow;                                          \
            y[o] = won < 0 ? (REAL)-INFINITY : plane[won];                                \
            if (argmax)                                                                   \
              argmax[o] = won < 0 ? -1 : (int32_t)(c * d->H * d->W + won);                \
          }                                                                               \
      }                                                                                   \
  }                                                                                       \
  static void max_route##SUFFIX(void *dy_, const void *dx_, const int32_t *argmax,        \
                                const pool_dims *d, int64_t B, int64_t b) {               \
    REAL *dy = dy_;                                                                       \
    const REAL *dx = dx_;                                                                 \
    int64_t out = d->out;                                                                 \
    _Pragma("omp parallel for collapse(2) if (b * B * out >= PARALLEL_MIN)")              \
    for (int64_t j = 0; j < b; j++)                                                       \
      for (int64_t s = 0; s < B; s++) {                                                   \
        const int32_t *won = argmax + s * out;                                            \
        const REAL *src = dx + (j * B + s) * d->in;                                       \
        REAL *dst = dy + (j * B + s) * out;                                               \
        for (int64_t o = 0; o < out; o++)                                                 \
          dst[o] = won[o] < 0 ? 0 : src[won[o]];                                          \
      }                                                                                   \
  }                                                                                       \
  static void max_route_add##SUFFIX(void *gx_, const void *gy_, const int32_t *argmax,    \
                                    const pool_dims *d, int64_t B, int64_t b) {           \
    REAL *gx = gx_;                                                                       \
    const REAL *gy = gy_;                                                                 \
    int64_t out = d->out;                                                                 \
    _Pragma("omp parallel for collapse(2) if (b * B * out >= PARALLEL_MIN)")              \
    for (int64_t j = 0; j < b; j++)                                                       \
      for (int64_t s = 0; s < B; s++) {                                                   \
        const int32_t *won = argmax + s * out;                                            \
        const REAL *src = gy + (j * B + s) * out;                                         \
        REAL *dst = gx + (j * B + s) * d->in;                                             \
        for (int64_t o = 0; o < out; o++)                                                 \
          if (won[o] >= 0)                                                                \
            dst[won[o]] += src[o];                                                        \
      }                                                                                   \
  }                                                                                       \
  static void mean##SUFFIX(void *y_, const void *x_, int64_t rows, int64_t Q) {           \
    REAL *y = y_;                                                                         \
    const REAL *x = x_;                                                                   \
    _Pragma("omp parallel for if (rows * Q >= PARALLEL_MIN)")                             \
    for (int64_t r = 0; r < rows; r++) {                                                  \
      double sum = 0.0;                                                                   \
      for (int64_t q = 0; q < Q; q++)                                                     \
        sum += x[r * Q + q];                                                              \
      y[r] = (REAL)(sum / (double)Q);                                                     \
    }                                                                                     \
  }                                                                                       \
  static void spread_add##SUFFIX(void *gx_, const void *gy_, int64_t rows, int64_t Q) {   \
    REAL *gx = gx_;                                                                       \
    const REAL *gy = gy_;                                                                 \
    _Pragma("omp parallel for if (rows * Q >= PARALLEL_MIN)")                             \
    for (int64_t r = 0; r < rows; r++) {                                                  \
      REAL g = (REAL)(gy[r] / (double)Q);                                                 \
      for (int64_t q = 0; q < Q; q++)                                                     \
        gx[r * Q + q] += g;                                                               \
    }                                                                                     \
  }

POOL_LOOPS(_d, double)
POOL_LOOPS(_f, float)

typedef struct pool_loops {
  void (*avg)(void *y, const void *x, const pool_dims *d, int64_t n);
  void (*avg_transpose_add)(void *gx, const void *gy, const pool_dims *d, int64_t n);
  void (*max)(void *y, int32_t *argmax, const void *x, const pool_dims *d, int64_t n);
  void (*max_route)(void *dy, const void *dx, const int32_t *argmax, const pool_dims *d,
                    int64_t B, int64_t b);
  void (*max_route_add)(void *gx, const void *gy, const int32_t *argmax,
                        const pool_dims *d, int64_t B, int64_t b);
  void (*mean)(void *y, const void *x, int64_t rows, int64_t Q);
  void (*spread_add)(void *gx, const void *gy, int64_t rows, int64_t Q);
} pool_loops;

static const pool_loops loops_d = {avg_d,       avg_transpose_add_d, max_d,       max_route_d,
                                   max_route_add_d, mean_d,          spread_add_d};
static const pool_loops loops_f = {avg_f,       avg_transpose_add_f, max_f,       max_route_f,
                                   max_route_add_f, mean_f,          spread_add_f};

static const pool_loops *loops_of(const js_kernels *k) {
  return k->precision == JS_PRECISION_SINGLE ? &loops_f : &loops_d;
}

/* ---- average: y (B, out) from x (B, in); dy, gy (b, B, out); dx, gx (b, B, in) */

static void avgpool_forward(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  loops_of(c->k)->avg(c->y, c->x[0], &d, c->B);
}

static void avgpool_jvp(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  loops_of(c->k)->avg(c->dy, c->dx[0], &d, c->b * c->B);
}

static void avgpool_vjp(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  if (c->gx[0])
    loops_of(c->k)->avg_transpose_add(c->gx[0], c->gy, &d, c->b * c->B);
}

const js_op js_op_avgpool = {.name = "avgpool",
                             .forward = avgpool_forward,
                             .jvp = avgpool_jvp,
                             .vjp = avgpool_vjp};

/* ---- maximum: the same shapes; saved is argmax (B, out) */

static size_t maxpool_saved_size(const js_node *node, const js_kernels *k) {
  (void)k;
  return sizeof(int32_t) * (size_t)node->size;
}

static void maxpool_forward(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  loops_of(c->k)->max(c->y, c->saved, c->x[0], &d, c->B);
}

static void maxpool_jvp(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  loops_of(c->k)->max_route(c->dy, c->dx[0], c->saved, &d, c->B, c->b);
}

static void maxpool_vjp(const js_op_call *c) {
  pool_dims d = dims_of(c->node);
  if (c->gx[0])
    loops_of(c->k)->max_route_add(c->gx[0], c->gy, c->saved, &d, c->B, c->b);
}

const js_op js_op_maxpool = {.name = "maxpool",
                             .saved_size = maxpool_saved_size,
                             .forward = maxpool_forward,
                             .jvp = maxpool_jvp,
                             .vjp = maxpool_vjp};

/* ---- global average: x (B, C, Q) -> y (B, C); each (sample, channel) is a row */

static void global_avgpool_forward(const js_op_call *c) {
  const js_node *node = c->node;
  loops_of(c->k)->mean(c->y, c->x[0], c->B * node->size, node->in_size / node->size);
}

static void global_avgpool_jvp(const js_op_call *c) {
  const js_node *node = c->node;
  loops_of(c->k)->mean(c->dy, c->dx[0], c->b * c->B * node->size,
                       node->in_size / node->size);
}

static void global_avgpool_vjp(const js_op_call *c) {
  const js_node *node = c->node;
  if (c->gx[0])
    loops_of(c->k)->spread_add(c->gx[0], c->gy, c->b * c->B * node->size,
                               node->in_size / node->size);
}

const js_op js_op_global_avgpool = {.name = "global_avgpool",
                                    .forward = global_avgpool_forward,
                                    .jvp = global_avgpool_jvp,
                                    .vjp = global_avgpool_vjp};

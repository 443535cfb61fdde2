/* The image ops (conv2d, average / max / global-average pooling, affine,
 * pad) called directly on hand-built nodes, in double precision:
 *   - forward against plain nested loops written here;
 *   - jvp against central differences of forward, for every subset of the
 *     terms (input tangent, weight tangent, bias tangent);
 *   - <jvp(v), u> = <v, vjp(u)> vector by vector, with vjp adding onto
 *     pre-filled cotangents and gradients and touching nothing else;
 * for blocks of b = 1 and 3 vectors and batches of B = 1 and 4 samples,
 * parameter slices embedded at offsets in a longer vector (dw_stride > the
 * tensor sizes, NaN between the slices so that a read outside them shows),
 * outputs pre-filled with NaN (an entry left unwritten shows) and a guard
 * after the scratch (an overrun shows). Then conv2d in single precision
 * against double. Every op here is bilinear or piecewise linear, so central
 * differences are exact up to rounding; max pooling is tested on distinct
 * values, with steps too small to change a window's winner. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/rng.h"
#include "model/ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TERM_DX = 1, TERM_W0 = 2, TERM_W1 = 4 }; /* which tangents a product takes */

#define STEP 1e-4         /* central differences: exact for (bi)linear maps */
#define JVP_TOL 1e-8      /* jvp against differences, relative */
#define ADJOINT_TOL 1e-12 /* <jvp(v), u> against <v, vjp(u)>, relative */
#define SINGLE_TOL 1e-5   /* single against double precision, relative */
#define GUARD 64          /* bytes checked after every scratch */

typedef void (*reference_fn)(const js_node *node, double *y, const double *x,
                             const double *w0, const double *w1, int64_t B);

typedef struct op_case {
  const char *what;
  const js_op *op;
  js_node node;
  int64_t w_size[2]; /* entries of the tensors param[0], param[1]; 0: none */
  reference_fn reference;
} op_case;

/* ------------------------------------------------------------ node builders */

static int64_t out_dim(int64_t size, int64_t pad_a, int64_t pad_b, int64_t kernel,
                       int64_t stride, int64_t dilation) {
  return (size + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride + 1;
}

static js_node image_node(js_op_kind kind, int64_t C, int64_t H, int64_t W) {
  js_node node;
  memset(&node, 0, sizeof node);
  node.kind = kind;
  node.n_inputs = 1;
  node.in_shape.ndim = 3;
  node.in_shape.dim[0] = C, node.in_shape.dim[1] = H, node.in_shape.dim[2] = W;
  node.in_size = C * H * W;
  node.param[0] = node.param[1] = -1;
  node.window.kernel[0] = node.window.kernel[1] = 1;
  node.window.stride[0] = node.window.stride[1] = 1;
  node.window.dilation[0] = node.window.dilation[1] = 1;
  return node;
}

static void set_output(js_node *node, int64_t C, int64_t H, int64_t W) {
  node->shape.ndim = 3;
  node->shape.dim[0] = C, node->shape.dim[1] = H, node->shape.dim[2] = W;
  node->size = C * H * W;
}

/* A node with a window (conv2d, pools); out_channels F (conv) or C (pools). */
static js_node window_node(js_op_kind kind, int64_t C, int64_t H, int64_t W,
                           int64_t out_channels, int64_t kh, int64_t kw, int64_t sh,
                           int64_t sw, const int64_t pad[4], int64_t dil_h, int64_t dil_w) {
  js_node node = image_node(kind, C, H, W);
  js_window *win = &node.window;
  win->kernel[0] = kh, win->kernel[1] = kw;
  win->stride[0] = sh, win->stride[1] = sw;
  win->dilation[0] = dil_h, win->dilation[1] = dil_w;
  memcpy(win->pad, pad, sizeof win->pad);
  set_output(&node, out_channels, out_dim(H, pad[0], pad[2], kh, sh, dil_h),
             out_dim(W, pad[1], pad[3], kw, sw, dil_w));
  return node;
}

/* --------------------------------------------------- plain references */

static void conv_reference(const js_node *n, double *y, const double *x, const double *w,
                           const double *bias, int64_t B) {
  const js_window *win = &n->window;
  int64_t C = n->in_shape.dim[0], H = n->in_shape.dim[1], W = n->in_shape.dim[2];
  int64_t F = n->shape.dim[0], Ho = n->shape.dim[1], Wo = n->shape.dim[2];
  int64_t kh = win->kernel[0], kw = win->kernel[1];
  for (int64_t s = 0; s < B; s++)
    for (int64_t f = 0; f < F; f++)
      for (int64_t oh = 0; oh < Ho; oh++)
        for (int64_t ow = 0; ow < Wo; ow++) {
          double sum = bias ? bias[f] : 0.0;
          for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < kh; i++)
              for (int64_t j = 0; j < kw; j++) {
                int64_t ih = oh * win->stride[0] - win->pad[0] + i * win->dilation[0];
                int64_t iw = ow * win->stride[1] - win->pad[1] + j * win->dilation[1];
                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                  sum += w[((f * C + c) * kh + i) * kw + j] * x[((s * C + c) * H + ih) * W + iw];
              }
          y[((s * F + f) * Ho + oh) * Wo + ow] = sum;
        }
}

/* Average or maximum over each window, cell by cell; padded cells are 0
 * (counted when count_include_pad) for the average and -Inf for the maximum. */
static void pool_reference(const js_node *n, double *y, const double *x, int64_t B) {
  const js_window *win = &n->window;
  int64_t C = n->in_shape.dim[0], H = n->in_shape.dim[1], W = n->in_shape.dim[2];
  int64_t Ho = n->shape.dim[1], Wo = n->shape.dim[2];
  for (int64_t s = 0; s < B; s++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t oh = 0; oh < Ho; oh++)
        for (int64_t ow = 0; ow < Wo; ow++) {
          double sum = 0.0, max = -INFINITY;
          int64_t inside = 0;
          for (int64_t i = 0; i < win->kernel[0]; i++)
            for (int64_t j = 0; j < win->kernel[1]; j++) {
              int64_t ih = oh * win->stride[0] - win->pad[0] + i * win->dilation[0];
              int64_t iw = ow * win->stride[1] - win->pad[1] + j * win->dilation[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                continue;
              double v = x[((s * C + c) * H + ih) * W + iw];
              sum += v;
              max = v > max ? v : max;
              inside++;
            }
          int64_t count = win->count_include_pad ? win->kernel[0] * win->kernel[1] : inside;
          y[((s * C + c) * Ho + oh) * Wo + ow] =
              n->kind == JS_OP_MAXPOOL ? max : count ? sum / (double)count : 0.0;
        }
}

static void pool_reference_op(const js_node *n, double *y, const double *x,
                              const double *w0, const double *w1, int64_t B) {
  (void)w0, (void)w1;
  pool_reference(n, y, x, B);
}

static void global_avgpool_reference(const js_node *n, double *y, const double *x,
                                     const double *w0, const double *w1, int64_t B) {
  (void)w0, (void)w1;
  int64_t C = n->in_shape.dim[0], Q = n->in_shape.dim[1] * n->in_shape.dim[2];
  for (int64_t r = 0; r < B * C; r++) {
    double sum = 0.0;
    for (int64_t q = 0; q < Q; q++)
      sum += x[r * Q + q];
    y[r] = sum / (double)Q;
  }
}

static void affine_reference(const js_node *n, double *y, const double *x,
                             const double *scale, const double *shift, int64_t B) {
  int64_t C = n->in_shape.ndim == 3 ? n->in_shape.dim[0] : n->in_size;
  int64_t Q = n->in_size / C;
  for (int64_t s = 0; s < B; s++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t q = 0; q < Q; q++)
        y[(s * C + c) * Q + q] = scale[c] * x[(s * C + c) * Q + q] + shift[c];
}

static void pad_reference(const js_node *n, double *y, const double *x, const double *w0,
                          const double *w1, int64_t B) {
  (void)w0, (void)w1;
  int64_t C = n->in_shape.dim[0], H = n->in_shape.dim[1], W = n->in_shape.dim[2];
  int64_t Ho = n->shape.dim[1], Wo = n->shape.dim[2];
  for (int64_t s = 0; s < B; s++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t oh = 0; oh < Ho; oh++)
        for (int64_t ow = 0; ow < Wo; ow++) {
          int64_t ih = oh - n->window.pad[0], iw = ow - n->window.pad[1];
          int inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
          y[((s * C + c) * Ho + oh) * Wo + ow] = inside ? x[((s * C + c) * H + ih) * W + iw] : 0;
        }
}

/* ------------------------------------------------------------- the cases */

static op_case conv_case(const char *what, int64_t C, int64_t H, int64_t W, int64_t F,
                         int64_t kh, int64_t kw, int64_t sh, int64_t sw, const int64_t pad[4],
                         int64_t dil_h, int64_t dil_w, int bias) {
  op_case t = {what, &js_op_conv2d,
               window_node(JS_OP_CONV2D, C, H, W, F, kh, kw, sh, sw, pad, dil_h, dil_w),
               {F * C * kh * kw, bias ? F : 0}, conv_reference};
  t.node.param[0] = 0;
  t.node.param[1] = bias ? 1 : -1;
  return t;
}

static const int64_t no_pad[4] = {0, 0, 0, 0}, pad_1[4] = {1, 1, 1, 1},
                     pad_2[4] = {2, 2, 2, 2};

/* Small images of every window feature, then two sized so that a block is
 * cut into several GEMM chunks (conv2d.c aims at 1024 columns: 3 samples
 * of P = 300, or one sample of P = 1024). */
static int conv_cases(op_case *cases) {
  int n = 0;
  cases[n++] = conv_case("3x3 stride 1 pad 1", 2, 5, 6, 3, 3, 3, 1, 1, pad_1, 1, 1, 1);
  cases[n++] = conv_case("3x3 stride 2 pad (1,0,2,1)", 3, 7, 5, 2, 3, 3, 2, 2,
                         (const int64_t[4]){1, 0, 2, 1}, 1, 1, 1);
  cases[n++] = conv_case("3x3 dilation 2 pad 2, no bias", 2, 6, 7, 4, 3, 3, 1, 1, pad_2, 2,
                         2, 0);
  cases[n++] = conv_case("1x1", 3, 4, 5, 5, 1, 1, 1, 1, no_pad, 1, 1, 1);
  cases[n++] = conv_case("1x1 stride 2, no bias", 4, 6, 5, 3, 1, 1, 2, 2, no_pad, 1, 1, 0);
  cases[n++] = conv_case("2x3 stride (2,1) pad (0,1,1,0) dilation (1,2)", 2, 6, 8, 3, 2, 3,
                         2, 1, (const int64_t[4]){0, 1, 1, 0}, 1, 2, 1);
  cases[n++] = conv_case("2x2 stride (3,2) pad (2,0,0,1): a row of windows on the padding",
                         2, 5, 7, 2, 2, 2, 3, 2, (const int64_t[4]){2, 0, 0, 1}, 1, 1, 1);
  cases[n++] = conv_case("3x3 on 15x20 (3 samples a chunk)", 2, 15, 20, 3, 3, 3, 1, 1, pad_1,
                         1, 1, 1);
  cases[n++] = conv_case("3x3 on 32x32 (1 sample a chunk)", 2, 32, 32, 2, 3, 3, 1, 1, pad_1,
                         1, 1, 1);
  return n;
}

static op_case pool_case(const char *what, js_op_kind kind, int64_t C, int64_t H, int64_t W,
                         int64_t kh, int64_t kw, int64_t sh, int64_t sw, const int64_t pad[4],
                         int64_t dil, int count_include_pad) {
  op_case t = {what, kind == JS_OP_MAXPOOL ? &js_op_maxpool : &js_op_avgpool,
               window_node(kind, C, H, W, C, kh, kw, sh, sw, pad, dil, dil),
               {0, 0}, pool_reference_op};
  t.node.window.count_include_pad = count_include_pad;
  return t;
}

static op_case global_avgpool_case(const char *what, int64_t C, int64_t H, int64_t W) {
  op_case t = {what, &js_op_global_avgpool, image_node(JS_OP_GLOBAL_AVGPOOL, C, H, W),
               {0, 0}, global_avgpool_reference};
  set_output(&t.node, C, 1, 1);
  return t;
}

static int pool_cases(op_case *cases) {
  int n = 0;
  const js_op_kind AVG = JS_OP_AVGPOOL, MAX = JS_OP_MAXPOOL;
  const int64_t asym_a[4] = {1, 0, 0, 2}, asym_b[4] = {1, 1, 0, 1};
  cases[n++] = pool_case("avg 2x2 stride 2, odd width", AVG, 2, 6, 5, 2, 2, 2, 2, no_pad, 1, 0);
  cases[n++] = pool_case("avg 3x3 stride 2 pad 1, pad counted", AVG, 2, 7, 6, 3, 3, 2, 2,
                         pad_1, 1, 1);
  cases[n++] = pool_case("avg 3x3 stride 2 pad 1, pad not counted", AVG, 2, 7, 6, 3, 3, 2, 2,
                         pad_1, 1, 0);
  cases[n++] = pool_case("avg 2x3 stride (1,2) pad (1,0,0,2), pad not counted", AVG, 3, 5,
                         6, 2, 3, 1, 2, asym_a, 1, 0);
  cases[n++] = pool_case("avg 2x2 dilation 2 pad 1, pad not counted", AVG, 2, 6, 7, 2, 2, 1,
                         1, pad_1, 2, 0);
  cases[n++] = pool_case("max 2x2 stride 2", MAX, 2, 6, 5, 2, 2, 2, 2, no_pad, 1, 0);
  cases[n++] = pool_case("max 3x3 stride 2 pad 1", MAX, 2, 7, 6, 3, 3, 2, 2, pad_1, 1, 0);
  cases[n++] = pool_case("max 3x2 stride (1,2) pad (1,1,0,1)", MAX, 3, 5, 6, 3, 2, 1, 2,
                         asym_b, 1, 0);
  cases[n++] = pool_case("max 3x3 dilation 2 pad 2", MAX, 1, 6, 7, 3, 3, 1, 1, pad_2, 2, 0);
  cases[n++] = global_avgpool_case("global avg 4x5", 3, 4, 5);
  cases[n++] = global_avgpool_case("global avg 1x1", 2, 1, 1);
  return n;
}

static int affine_cases(op_case *cases) {
  op_case image = {"affine on (3, 4, 2)", &js_op_affine, image_node(JS_OP_AFFINE, 3, 4, 2),
                   {3, 3}, affine_reference};
  set_output(&image.node, 3, 4, 2);
  op_case flat = {"affine on (7)", &js_op_affine, image_node(JS_OP_AFFINE, 7, 1, 1),
                  {7, 7}, affine_reference};
  flat.node.in_shape.ndim = flat.node.shape.ndim = 1;
  flat.node.in_shape.dim[1] = flat.node.in_shape.dim[2] = 0;
  flat.node.shape = flat.node.in_shape;
  flat.node.size = 7;
  image.node.param[0] = flat.node.param[0] = 0;
  image.node.param[1] = flat.node.param[1] = 1;
  cases[0] = image;
  cases[1] = flat;
  return 2;
}

static op_case pad_case(const char *what, int64_t C, int64_t H, int64_t W,
                        const int64_t pad[4]) {
  op_case t = {what, &js_op_pad, image_node(JS_OP_PAD, C, H, W), {0, 0}, pad_reference};
  memcpy(t.node.window.pad, pad, sizeof t.node.window.pad);
  set_output(&t.node, C, H + pad[0] + pad[2], W + pad[1] + pad[3]);
  return t;
}

static int pad_cases(op_case *cases) {
  cases[0] = pad_case("pad (1,2,0,3)", 2, 3, 4, (const int64_t[4]){1, 2, 0, 3});
  cases[1] = pad_case("pad (0,0,2,1)", 1, 2, 2, (const int64_t[4]){0, 0, 2, 1});
  return 2;
}

/* ------------------------------------------------ buffers and op calls */

static double *vec(int64_t n) {
  double *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
  assert_non_null(v);
  return v;
}

static double *normal_vec(js_rng *rng, int64_t n) {
  double *v = vec(n);
  for (int64_t i = 0; i < n; i++)
    v[i] = js_rng_normal(rng);
  return v;
}

static double *nan_vec(int64_t n) {
  double *v = vec(n);
  for (int64_t i = 0; i < n; i++)
    v[i] = NAN;
  return v;
}

static double *copy_vec(const double *src, int64_t n) {
  double *v = vec(n);
  memcpy(v, src, sizeof *v * (size_t)n);
  return v;
}

/* Distinct values -2..2 in random order, at least 4 / n apart: no ties in
 * a max-pooling window, and no change of winner under a step of STEP. */
static double *distinct_vec(js_rng *rng, int64_t n) {
  double *v = vec(n);
  for (int64_t i = 0; i < n; i++)
    v[i] = -2.0 + 4.0 * ((double)i + 0.5) / (double)n;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)js_rng_below(rng, (uint64_t)i + 1);
    double t = v[i];
    v[i] = v[j], v[j] = t;
  }
  return v;
}

/* A scratch of size bytes followed by a guard the op must not touch;
 * NULL for 0 bytes, as the executor passes. */
static void *scratch_new(size_t size) {
  if (size == 0)
    return NULL;
  unsigned char *s = malloc(size + GUARD);
  assert_non_null(s);
  memset(s, 0xa5, size + GUARD);
  return s;
}

static void scratch_free(void *scratch, size_t size, const char *what) {
  if (!scratch)
    return;
  const unsigned char *guard = (const unsigned char *)scratch + size;
  for (int i = 0; i < GUARD; i++)
    if (guard[i] != 0xa5) {
      print_error("%s: the op wrote past its %zu bytes of scratch\n", what, size);
      fail();
    }
  free(scratch);
}

/* One op on one node, for a batch of B samples and a block of b vectors:
 * the data in double, and where each parameter tensor sits in a vector of
 * p = dw_stride entries. */
typedef struct instance {
  const op_case *t;
  int64_t B, b, p, offset[2];
  double *x;     /* (B, in), distinct values */
  double *w[2];  /* the tensors, NULL when absent */
  double *dx;    /* (b, B, in) */
  double *dw;    /* (b, p): tensor i's tangent at offset[i], NaN elsewhere */
  double *gy;    /* (b, B, out) */
  int available; /* the terms the op has: TERM_DX and a TERM_W per tensor */
} instance;

static instance instance_new(const op_case *t, int64_t B, int64_t b, js_rng *rng) {
  instance in;
  in.t = t, in.B = B, in.b = b;
  in.offset[0] = 3;
  in.offset[1] = in.offset[0] + t->w_size[0] + 2;
  in.p = in.offset[1] + t->w_size[1] + 5;
  in.x = distinct_vec(rng, B * t->node.in_size);
  in.dx = normal_vec(rng, b * B * t->node.in_size);
  in.gy = normal_vec(rng, b * B * t->node.size);
  in.dw = nan_vec(b * in.p);
  in.available = TERM_DX;
  for (int i = 0; i < 2; i++) {
    in.w[i] = t->w_size[i] ? normal_vec(rng, t->w_size[i]) : NULL;
    if (t->w_size[i])
      in.available |= i == 0 ? TERM_W0 : TERM_W1;
    for (int64_t j = 0; j < b; j++)
      for (int64_t e = 0; e < t->w_size[i]; e++)
        in.dw[j * in.p + in.offset[i] + e] = js_rng_normal(rng);
  }
  return in;
}

static void instance_free(instance *in) {
  free(in->x), free(in->dx), free(in->gy), free(in->dw), free(in->w[0]), free(in->w[1]);
}

static int term_of_tensor(int i) { return i == 0 ? TERM_W0 : TERM_W1; }

/* An instance's data in the element type of k. */
typedef struct buffers {
  const js_kernels *k;
  void *x, *w[2], *dx, *dw, *gy;
  void *saved; /* the forward's at x, saved_size B bytes (NULL: none) */
} buffers;

/* The op's scratch and saved bytes; a NULL size function means none (as
 * the executor reads it). */
static size_t scratch_bytes(const op_case *t, const js_kernels *k, int64_t B, int64_t b) {
  return t->op->scratch_size ? t->op->scratch_size(&t->node, k, B, b) : 0;
}

static size_t saved_bytes(const op_case *t, const js_kernels *k, int64_t B) {
  return t->op->saved_size ? t->op->saved_size(&t->node, k) * (size_t)B : 0;
}

static void call_forward(const instance *in, const buffers *bf, void *y, const void *x,
                         const void *w0, const void *w1, void *saved) {
  const op_case *t = in->t;
  size_t size = scratch_bytes(t, bf->k, in->B, 0);
  js_op_call c;
  memset(&c, 0, sizeof c);
  c.k = bf->k, c.node = &t->node, c.B = in->B;
  c.x[0] = x, c.y = y, c.saved = saved;
  c.w[0] = w0, c.w[1] = w1;
  c.scratch = scratch_new(size);
  t->op->forward(&c);
  scratch_free(c.scratch, size, t->what);
}

/* The call of a jvp or vjp with the given terms: x only when the op
 * needs it for a trained weight, parameter slices only of those terms. */
static js_op_call product_call(const instance *in, const buffers *bf, void *dw, int terms) {
  const op_case *t = in->t;
  js_op_call c;
  memset(&c, 0, sizeof c);
  c.k = bf->k, c.node = &t->node, c.B = in->B, c.b = in->b;
  c.x[0] = t->op->input_for_weight && (terms & TERM_W0) ? bf->x : NULL;
  c.saved = bf->saved;
  c.dw_stride = in->p;
  for (int i = 0; i < 2; i++) {
    c.w[i] = bf->w[i];
    if (terms & term_of_tensor(i))
      c.dw[i] = js_elem(bf->k, dw, in->offset[i]);
  }
  c.scratch = scratch_new(scratch_bytes(t, bf->k, in->B, in->b));
  return c;
}

static void call_jvp(const instance *in, const buffers *bf, void *dy, int terms) {
  js_op_call c = product_call(in, bf, bf->dw, terms);
  c.dx[0] = terms & TERM_DX ? bf->dx : NULL;
  c.dy = dy;
  in->t->op->jvp(&c);
  scratch_free(c.scratch, scratch_bytes(in->t, bf->k, in->B, in->b), in->t->what);
}

/* gx (b, B, in) and gw (b, p) += the terms' parts of vjp(gy). */
static void call_vjp(const instance *in, const buffers *bf, void *gx, void *gw, int terms) {
  js_op_call c = product_call(in, bf, gw, terms);
  c.gx[0] = terms & TERM_DX ? gx : NULL;
  c.gy = bf->gy;
  in->t->op->vjp(&c);
  scratch_free(c.scratch, scratch_bytes(in->t, bf->k, in->B, in->b), in->t->what);
}

static void *saved_new(const instance *in, const js_kernels *k) {
  size_t size = saved_bytes(in->t, k, in->B);
  return size ? malloc(size) : NULL;
}

/* Views of a double instance, its saved tensor computed by the forward. */
static buffers double_buffers(const instance *in) {
  buffers bf = {js_kernels_of(JS_PRECISION_DOUBLE), in->x, {in->w[0], in->w[1]}, in->dx,
                in->dw, in->gy, NULL};
  double *y = vec(in->B * in->t->node.size);
  bf.saved = saved_new(in, bf.k);
  call_forward(in, &bf, y, bf.x, bf.w[0], bf.w[1], bf.saved);
  free(y);
  return bf;
}

/* --------------------------------------------------------------- checks */

static double max_abs(const double *a, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; i++)
    m = fmax(m, fabs(a[i]));
  return m;
}

/* max |a - b|, NaN when either holds a NaN. */
static double max_diff(const double *a, const double *b, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs(a[i] - b[i]);
    if (isnan(d))
      return NAN;
    m = fmax(m, d);
  }
  return m;
}

static double dot(const double *a, const double *b, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static void fail_check(const char *what, const char *check, const instance *in, int terms,
                       double err, double scale) {
  print_error("%s, B = %lld, b = %lld, terms %d: %s off by %.3g (scale %.3g)\n", what,
              (long long)in->B, (long long)in->b, terms, check, err, scale);
  fail();
}

/* err <= tol scale, failing on NaN too. */
static void expect_close(double err, double tol, double scale, const char *what,
                         const char *check, const instance *in, int terms) {
  if (!(err <= tol * scale))
    fail_check(what, check, in, terms, err, scale);
}

/* The op's forward (y pre-filled with NaN) against the reference, with and
 * without saving; max pooling's saved winners index the sample's input. */
static void check_forward(const instance *in) {
  const op_case *t = in->t;
  int64_t n = in->B * t->node.size;
  buffers bf = double_buffers(in);
  double *y = nan_vec(n), *y_unsaved = nan_vec(n), *ref = vec(n);
  call_forward(in, &bf, y, in->x, in->w[0], in->w[1], bf.saved);
  call_forward(in, &bf, y_unsaved, in->x, in->w[0], in->w[1], NULL);
  t->reference(&t->node, ref, in->x, in->w[0], in->w[1], in->B);
  double scale = fmax(max_abs(ref, n), 1.0);
  expect_close(max_diff(y, ref, n), 1e-13, scale, t->what, "forward", in, 0);
  expect_close(max_diff(y_unsaved, ref, n), 1e-13, scale, t->what, "forward unsaved", in, 0);
  if (t->op == &js_op_maxpool) {
    const int32_t *won = bf.saved;
    for (int64_t s = 0; s < in->B; s++)
      for (int64_t o = 0; o < t->node.size; o++)
        assert_true(in->x[s * t->node.in_size + won[s * t->node.size + o]] ==
                    y[s * t->node.size + o]);
  }
  free(y), free(y_unsaved), free(ref), free(bf.saved);
}

/* x + sign STEP v (v NULL: x), n entries; NULL for an absent tensor. */
static double *stepped(const double *x, const double *v, double sign, int64_t n) {
  if (!x)
    return NULL;
  double *out = copy_vec(x, n);
  for (int64_t i = 0; v && i < n; i++)
    out[i] += sign * STEP * v[i];
  return out;
}

/* Vector j of jvp(terms) against (f(x + h v_j) - f(x - h v_j)) / 2h, with
 * v_j the tangents of the terms only. */
static void check_jvp(const instance *in, int terms) {
  const op_case *t = in->t;
  int64_t n_in = in->B * t->node.in_size, n_out = in->B * t->node.size;
  buffers bf = double_buffers(in);
  double *dy = nan_vec(in->b * n_out), *plus = vec(n_out), *minus = vec(n_out);
  call_jvp(in, &bf, dy, terms);
  for (int64_t j = 0; j < in->b; j++) {
    const double *dx = terms & TERM_DX ? in->dx + j * n_in : NULL, *dw[2];
    for (int i = 0; i < 2; i++)
      dw[i] = terms & term_of_tensor(i) ? in->dw + j * in->p + in->offset[i] : NULL;
    double *x_p = stepped(in->x, dx, 1, n_in), *x_m = stepped(in->x, dx, -1, n_in);
    double *w0_p = stepped(in->w[0], dw[0], 1, t->w_size[0]);
    double *w0_m = stepped(in->w[0], dw[0], -1, t->w_size[0]);
    double *w1_p = stepped(in->w[1], dw[1], 1, t->w_size[1]);
    double *w1_m = stepped(in->w[1], dw[1], -1, t->w_size[1]);
    call_forward(in, &bf, plus, x_p, w0_p, w1_p, NULL);
    call_forward(in, &bf, minus, x_m, w0_m, w1_m, NULL);
    for (int64_t e = 0; e < n_out; e++)
      plus[e] = (plus[e] - minus[e]) / (2 * STEP);
    const double *dy_j = dy + j * n_out;
    double scale = fmax(max_abs(plus, n_out), max_abs(dy_j, n_out));
    expect_close(max_diff(plus, dy_j, n_out), JVP_TOL, scale, t->what,
                 "jvp against differences", in, terms);
    free(x_p), free(x_m), free(w0_p), free(w0_m), free(w1_p), free(w1_m);
  }
  free(dy), free(plus), free(minus), free(bf.saved);
}

/* Entries of the p-vector slices the terms touch. */
static int in_slices(const instance *in, int terms, int64_t e) {
  for (int i = 0; i < 2; i++)
    if ((terms & term_of_tensor(i)) && e >= in->offset[i] &&
        e < in->offset[i] + in->t->w_size[i])
      return 1;
  return 0;
}

/* max |a - (a0 + c)| over n entries, against max |a0| + max |c|: the op
 * adds its terms one by one onto a0, in an order of its own. */
static void expect_sum(const double *a, const double *a0, const double *c, int64_t n,
                       const char *check, const instance *in, int terms) {
  double err = 0.0, max_a0 = 0.0, max_c = 0.0;
  for (int64_t e = 0; e < n; e++) {
    err = fmax(err, fabs(a[e] - (a0[e] + c[e])));
    max_a0 = fmax(max_a0, fabs(a0[e]));
    max_c = fmax(max_c, fabs(c[e]));
  }
  expect_close(err, 1e-14, max_a0 + max_c, in->t->what, check, in, terms);
}

/* vjp onto pre-filled gx0, gw0 ends as gx0 + its contribution (computed
 * onto zeros), and leaves gw outside the terms' slices as it was. */
static void check_accumulation(const instance *in, int terms, const double *gx0,
                               const double *gx, const double *cx, const double *gw0,
                               const double *gw, const double *cw) {
  if (terms & TERM_DX)
    expect_sum(gx, gx0, cx, in->b * in->B * in->t->node.in_size, "gx accumulation", in,
               terms);
  for (int i = 0; i < 2; i++)
    for (int64_t j = 0; (terms & term_of_tensor(i)) && j < in->b; j++) {
      int64_t first = j * in->p + in->offset[i];
      expect_sum(gw + first, gw0 + first, cw + first, in->t->w_size[i],
                 "gradient accumulation", in, terms);
    }
  for (int64_t e = 0; e < in->b * in->p; e++)
    if (!in_slices(in, terms, e % in->p) && (gw[e] != gw0[e] || cw[e] != 0.0))
      fail_check(in->t->what, "an entry outside the slices", in, terms, gw[e] - gw0[e], 0);
}

/* <jvp(v)_j, u_j> = <v_j, vjp(u)_j> vector by vector. */
static void check_adjoint(const instance *in, int terms, js_rng *rng) {
  const op_case *t = in->t;
  int64_t n_in = in->B * t->node.in_size, n_out = in->B * t->node.size;
  buffers bf = double_buffers(in);
  double *dy = nan_vec(in->b * n_out);
  double *gx0 = normal_vec(rng, in->b * n_in), *gw0 = normal_vec(rng, in->b * in->p);
  double *gx = copy_vec(gx0, in->b * n_in), *gw = copy_vec(gw0, in->b * in->p);
  double *cx = vec(in->b * n_in), *cw = vec(in->b * in->p);
  call_jvp(in, &bf, dy, terms);
  call_vjp(in, &bf, gx, gw, terms);
  call_vjp(in, &bf, cx, cw, terms);
  check_accumulation(in, terms, gx0, gx, cx, gw0, gw, cw);
  for (int64_t j = 0; j < in->b; j++) {
    const double *dy_j = dy + j * n_out, *u_j = in->gy + j * n_out;
    double lhs = dot(dy_j, u_j, n_out), rhs = 0.0;
    double scale = sqrt(dot(dy_j, dy_j, n_out) * dot(u_j, u_j, n_out));
    if (terms & TERM_DX) {
      const double *v = in->dx + j * n_in, *g = cx + j * n_in;
      rhs += dot(v, g, n_in);
      scale += sqrt(dot(v, v, n_in) * dot(g, g, n_in));
    }
    for (int i = 0; i < 2; i++)
      if (terms & term_of_tensor(i)) {
        const double *v = in->dw + j * in->p + in->offset[i], *g = cw + j * in->p + in->offset[i];
        rhs += dot(v, g, t->w_size[i]);
        scale += sqrt(dot(v, v, t->w_size[i]) * dot(g, g, t->w_size[i]));
      }
    expect_close(fabs(lhs - rhs), ADJOINT_TOL, scale, t->what, "<jvp(v), u> - <v, vjp(u)>",
                 in, terms);
  }
  free(dy), free(gx0), free(gw0), free(gx), free(gw), free(cx), free(cw), free(bf.saved);
}

/* Every check of every case, for B = 1, 4 and b = 1, 3 and every subset of
 * the terms the op has. */
static void check_cases(const op_case *cases, int n_cases) {
  static const int64_t batches[] = {1, 4}, blocks[] = {1, 3};
  js_rng rng;
  js_rng_seed(&rng, 20240611);
  for (int ci = 0; ci < n_cases; ci++)
    for (int bi = 0; bi < 2; bi++)
      for (int vi = 0; vi < 2; vi++) {
        instance in = instance_new(&cases[ci], batches[bi], blocks[vi], &rng);
        check_forward(&in);
        for (int terms = 1; terms <= TERM_DX + TERM_W0 + TERM_W1; terms++)
          if ((terms & in.available) == terms) {
            check_jvp(&in, terms);
            check_adjoint(&in, terms, &rng);
          }
        instance_free(&in);
      }
}

static void test_conv2d(void **state) {
  (void)state;
  op_case cases[16];
  check_cases(cases, conv_cases(cases));
}

static void test_pools(void **state) {
  (void)state;
  op_case cases[16];
  check_cases(cases, pool_cases(cases));
}

static void test_affine(void **state) {
  (void)state;
  op_case cases[2];
  check_cases(cases, affine_cases(cases));
}

static void test_pad(void **state) {
  (void)state;
  op_case cases[2];
  check_cases(cases, pad_cases(cases));
}

/* The first of the largest cells of window (c, oh, ow), scanned row by
 * row, as an index within the sample x (C, H, W). */
static int64_t first_max_reference(const js_node *n, const double *x, int64_t c, int64_t oh,
                                   int64_t ow) {
  const js_window *win = &n->window;
  int64_t H = n->in_shape.dim[1], W = n->in_shape.dim[2], won = -1;
  for (int64_t i = 0; i < win->kernel[0]; i++)
    for (int64_t j = 0; j < win->kernel[1]; j++) {
      int64_t ih = oh * win->stride[0] - win->pad[0] + i * win->dilation[0];
      int64_t iw = ow * win->stride[1] - win->pad[1] + j * win->dilation[1];
      int64_t cell = (c * H + ih) * W + iw;
      if (ih >= 0 && ih < H && iw >= 0 && iw < W && (won < 0 || x[cell] > x[won]))
        won = cell;
    }
  return won;
}

/* Max pooling on the integers 0..2, full of ties: the saved winner of each
 * window is its first largest cell. */
static void test_maxpool_ties(void **state) {
  (void)state;
  op_case cases[16];
  int n = pool_cases(cases);
  js_rng rng;
  js_rng_seed(&rng, 5);
  for (int ci = 0; ci < n; ci++) {
    const js_node *node = &cases[ci].node;
    if (node->kind != JS_OP_MAXPOOL)
      continue;
    instance in = instance_new(&cases[ci], 3, 1, &rng);
    for (int64_t e = 0; e < in.B * node->in_size; e++)
      in.x[e] = (double)js_rng_below(&rng, 3);
    buffers bf = double_buffers(&in);
    const int32_t *won = bf.saved;
    for (int64_t s = 0; s < in.B; s++)
      for (int64_t c = 0; c < node->shape.dim[0]; c++)
        for (int64_t oh = 0; oh < node->shape.dim[1]; oh++)
          for (int64_t ow = 0; ow < node->shape.dim[2]; ow++) {
            int64_t o = ((s * node->shape.dim[0] + c) * node->shape.dim[1] + oh) *
                            node->shape.dim[2] + ow;
            assert_int_equal(won[o], first_max_reference(node, in.x + s * node->in_size, c,
                                                         oh, ow));
          }
    free(bf.saved);
    instance_free(&in);
  }
}

/* ---------------------------------------------------- single precision */

static void *to_single(const js_kernels *k, const double *src, int64_t n) {
  if (!src)
    return NULL;
  void *dst = malloc(k->size * (size_t)(n > 0 ? n : 1));
  assert_non_null(dst);
  k->from_double(dst, src, n);
  return dst;
}

static double *from_single(const js_kernels *k, const void *src, int64_t n) {
  double *dst = vec(n);
  k->to_double(dst, src, n);
  return dst;
}

/* max |single - double| / max |double| for n entries. */
static double single_error(const js_kernels *k, const void *single, const double *ref,
                           int64_t n) {
  double *s = from_single(k, single, n);
  double err = max_diff(s, ref, n) / max_abs(ref, n);
  free(s);
  return err;
}

/* The forward, jvp and vjp of every term together, in float against
 * double, from the same (rounded) data. */
static void check_single(const instance *in) {
  const op_case *t = in->t;
  const js_kernels *ks = js_kernels_of(JS_PRECISION_SINGLE);
  int64_t n_in = in->B * t->node.in_size, n_out = in->B * t->node.size;
  int64_t n_dy = in->b * n_out, n_gx = in->b * n_in, n_gw = in->b * in->p;
  int terms = in->available;
  buffers bd = double_buffers(in);
  buffers bs = {ks, to_single(ks, in->x, n_in),
                {to_single(ks, in->w[0], t->w_size[0]), to_single(ks, in->w[1], t->w_size[1])},
                to_single(ks, in->dx, n_gx), to_single(ks, in->dw, n_gw),
                to_single(ks, in->gy, n_dy), NULL};
  bs.saved = saved_new(in, ks);
  double *y = vec(n_out), *dy = vec(n_dy), *gx = vec(n_gx), *gw = vec(n_gw);
  void *ys = to_single(ks, y, n_out), *dys = to_single(ks, dy, n_dy);
  void *gxs = to_single(ks, gx, n_gx), *gws = to_single(ks, gw, n_gw);
  call_forward(in, &bd, y, bd.x, bd.w[0], bd.w[1], bd.saved);
  call_forward(in, &bs, ys, bs.x, bs.w[0], bs.w[1], bs.saved);
  call_jvp(in, &bd, dy, terms);
  call_jvp(in, &bs, dys, terms);
  call_vjp(in, &bd, gx, gw, terms);
  call_vjp(in, &bs, gxs, gws, terms);
  expect_close(single_error(ks, ys, y, n_out), SINGLE_TOL, 1, t->what, "single forward", in,
               0);
  expect_close(single_error(ks, dys, dy, n_dy), SINGLE_TOL, 1, t->what, "single jvp", in,
               terms);
  expect_close(single_error(ks, gxs, gx, n_gx), SINGLE_TOL, 1, t->what, "single vjp gx", in,
               terms);
  expect_close(single_error(ks, gws, gw, n_gw), SINGLE_TOL, 1, t->what, "single vjp gw", in,
               terms);
  free(y), free(dy), free(gx), free(gw), free(ys), free(dys), free(gxs), free(gws);
  free(bs.x), free(bs.w[0]), free(bs.w[1]), free(bs.dx), free(bs.dw), free(bs.gy);
  free(bd.saved), free(bs.saved);
}

static void test_conv2d_single_precision(void **state) {
  (void)state;
  op_case cases[16];
  int n = conv_cases(cases);
  js_rng rng;
  js_rng_seed(&rng, 77);
  for (int ci = 0; ci < n; ci++) {
    instance in = instance_new(&cases[ci], 4, 3, &rng);
    check_single(&in);
    instance_free(&in);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv2d),
      cmocka_unit_test(test_pools),
      cmocka_unit_test(test_maxpool_ties),
      cmocka_unit_test(test_affine),
      cmocka_unit_test(test_pad),
      cmocka_unit_test(test_conv2d_single_precision),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

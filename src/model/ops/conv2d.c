/* 2-D convolution, a cross-correlation as in ONNX Conv and PyTorch:
 *   z[f, oh, ow] = b[f] + sum_{c, i, j} W[f, c, i, j]
 *                         x[c, oh sh - pad_t + i dil_h, ow sw - pad_l + j dil_w]
 * with x zero outside the image. im2col turns a sample into its patch
 * matrix X~ (K, P), one column per output pixel holding the receptive field
 * it reads, so that with W viewed as (F, K) the three modes are GEMMs:
 *   forward   z   = W X~ + b
 *   jvp       dz  = W dX~ + dW X~ + db       (dX~ = im2col(dx): im2col is linear)
 *   vjp       gx += col2im(W^T gy),  dW += gy X~^T,  db += sum over pixels of gy
 * where col2im, the transpose of im2col, adds each column back onto the
 * pixels it was read from. Samples that share a matrix (every sample shares
 * W; the b vectors share a sample's X~) are put side by side, n at a time,
 * so that each GEMM is n P columns wide rather than P.
 *
 * Legend (B and b as in ops.h):
 *   C, H, W    input channels, height, width; in = C H W
 *   F, Ho, Wo  filters (output channels), output height, width; out = F Ho Wo
 *   kh, kw     kernel height and width
 *   K          C kh kw: one receptive field, a row of W, a column of X~
 *   P          Ho Wo: output pixels of one sample
 *   n          samples of one chunk (its patch matrices side by side) */
#include "model/ops/ops.h"
#include "model/ops/window.h"

#include <string.h>

/* Columns of a chunk's GEMM to aim for. Wider chunks do not pay: the patch
 * matrix of a chunk stays in cache, so a 64-sample forward in chunks of 1024
 * columns took 0.66 to 0.76 of the time of one GEMM over the whole batch's
 * patch matrix (3x3 ResNet-20 layers, one thread), and the scratch grows
 * with the chunk ((K + F) n P elements). Images of at least this many
 * output pixels go one sample at a time. */
#define GEMM_COLUMNS 1024

/* Element loops shorter than this run on one thread (as in activation.c):
 * below it, waking the OpenMP team costs more than the work. */
#define PARALLEL_MIN 16384

typedef struct conv_dims {
  int64_t C, H, W, F, Ho, Wo;
  int64_t kh, kw, sh, sw, dil_h, dil_w, pad_t, pad_l;
  int64_t K, P, in, out;
} conv_dims;

static conv_dims dims_of(const js_node *node) {
  const js_window *win = &node->window;
  conv_dims d;
  d.C = node->in_shape.dim[0], d.H = node->in_shape.dim[1], d.W = node->in_shape.dim[2];
  d.F = node->shape.dim[0], d.Ho = node->shape.dim[1], d.Wo = node->shape.dim[2];
  d.kh = win->kernel[0], d.kw = win->kernel[1];
  d.sh = win->stride[0], d.sw = win->stride[1];
  d.dil_h = win->dilation[0], d.dil_w = win->dilation[1];
  d.pad_t = win->pad[0], d.pad_l = win->pad[1];
  d.K = d.C * d.kh * d.kw;
  d.P = d.Ho * d.Wo;
  d.in = node->in_size;
  d.out = node->size;
  return d;
}

/* The loops that touch elements, once per element type. Each parallel loop
 * gives a thread whole rows of its output, so no two threads write the
 * same element.
 *
 * im2col: col (K, n P) gets in column s P + p the receptive field of sample
 * s's output pixel p, zero where it lies on the padding; x is (n, C, H, W).
 * col2im_add: gx (n, C, H, W) += the transpose of im2col applied to
 * col (K, n P).
 * scatter: out (n, F, P) = (or +=) t (F, n P), whose columns s P to
 * (s + 1) P - 1 are sample s.
 * add_bias: y (n, F, P) += bias (F) at every pixel.
 * bias_grad: db (F) += gy (n, F, P) summed over samples and pixels (in
 * double, then rounded once). */
#define CONV_LOOPS(SUFFIX, REAL)                                                         \
  static void im2col##SUFFIX(void *col_, const void *x_, const conv_dims *d, int64_t n) { \
    REAL *col = col_;                                                                    \
    const REAL *x = x_;                                                                  \
    int64_t ld = n * d->P, K = d->K;                                                     \
    _Pragma("omp parallel for collapse(2) if (n * K * d->P >= PARALLEL_MIN)")            \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t r = 0; r < K; r++) {                                                  \
        int64_t c = r / (d->kh * d->kw), i = r / d->kw % d->kh, j = r % d->kw;           \
        int64_t off_h = i * d->dil_h - d->pad_t, off_w = j * d->dil_w - d->pad_l;        \
        span rows = inside(off_h, d->sh, d->H, d->Ho);                                   \
        span cols = inside(off_w, d->sw, d->W, d->Wo);                                   \
        const REAL *plane = x + (s * d->C + c) * d->H * d->W;                            \
        REAL *dst = col + r * ld + s * d->P;                                             \
        for (int64_t oh = 0; oh < d->Ho; oh++, dst += d->Wo) {                           \
          if (oh < rows.lo || oh >= rows.hi) {                                           \
            memset(dst, 0, sizeof(REAL) * (size_t)d->Wo);                                \
            continue;                                                                    \
          }                                                                              \
          int64_t row = (oh * d->sh + off_h) * d->W + off_w;                             \
          for (int64_t ow = 0; ow < cols.lo; ow++)                                       \
            dst[ow] = 0;                                                                 \
          for (int64_t ow = cols.lo; ow < cols.hi; ow++)                                 \
            dst[ow] = plane[row + ow * d->sw];                                           \
          for (int64_t ow = cols.hi; ow < d->Wo; ow++)                                   \
            dst[ow] = 0;                                                                 \
        }                                                                                \
      }                                                                                  \
  }                                                                                      \
  static void col2im_add##SUFFIX(void *gx_, const void *col_, const conv_dims *d,        \
                                 int64_t n) {                                            \
    REAL *gx = gx_;                                                                      \
    const REAL *col = col_;                                                              \
    int64_t ld = n * d->P, C = d->C;                                                     \
    _Pragma("omp parallel for collapse(2) if (n * d->K * d->P >= PARALLEL_MIN)")         \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t c = 0; c < C; c++) {                                                  \
        REAL *plane = gx + (s * d->C + c) * d->H * d->W;                                 \
        for (int64_t i = 0; i < d->kh; i++)                                              \
          for (int64_t j = 0; j < d->kw; j++) {                                          \
            int64_t off_h = i * d->dil_h - d->pad_t, off_w = j * d->dil_w - d->pad_l;    \
            span rows = inside(off_h, d->sh, d->H, d->Ho);                               \
            span cols = inside(off_w, d->sw, d->W, d->Wo);                               \
            const REAL *src = col + ((c * d->kh + i) * d->kw + j) * ld + s * d->P;       \
            for (int64_t oh = rows.lo; oh < rows.hi; oh++) {                             \
              int64_t row = (oh * d->sh + off_h) * d->W + off_w;                         \
              for (int64_t ow = cols.lo; ow < cols.hi; ow++)                             \
                plane[row + ow * d->sw] += src[oh * d->Wo + ow];                         \
            }                                                                            \
          }                                                                              \
      }                                                                                  \
  }                                                                                      \
  static void scatter##SUFFIX(void *out_, const void *t_, const conv_dims *d, int64_t n,  \
                              int accumulate) {                                          \
    REAL *out = out_;                                                                    \
    const REAL *t = t_;                                                                  \
    int64_t F = d->F, P = d->P;                                                          \
    _Pragma("omp parallel for collapse(2) if (n * F * P >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t f = 0; f < F; f++) {                                                  \
        REAL *dst = out + (s * F + f) * P;                                               \
        const REAL *src = t + f * n * P + s * P;                                         \
        if (accumulate)                                                                  \
          for (int64_t p = 0; p < P; p++)                                                \
            dst[p] += src[p];                                                            \
        else                                                                             \
          memcpy(dst, src, sizeof(REAL) * (size_t)P);                                    \
      }                                                                                  \
  }                                                                                      \
  static void add_bias##SUFFIX(void *y_, const void *bias_, const conv_dims *d,          \
                               int64_t n) {                                              \
    REAL *y = y_;                                                                        \
    const REAL *bias = bias_;                                                            \
    int64_t F = d->F, P = d->P;                                                          \
    _Pragma("omp parallel for collapse(2) if (n * F * P >= PARALLEL_MIN)")               \
    for (int64_t s = 0; s < n; s++)                                                      \
      for (int64_t f = 0; f < F; f++)                                                    \
        for (int64_t p = 0; p < P; p++)                                                  \
          y[(s * F + f) * P + p] += bias[f];                                             \
  }                                                                                      \
  static void bias_grad##SUFFIX(void *db_, const void *gy_, const conv_dims *d,          \
                                int64_t n) {                                             \
    REAL *db = db_;                                                                      \
    const REAL *gy = gy_;                                                                \
    int64_t F = d->F, P = d->P;                                                          \
    _Pragma("omp parallel for if (n * F * P >= PARALLEL_MIN)")                           \
    for (int64_t f = 0; f < F; f++) {                                                    \
      double sum = 0.0;                                                                  \
      for (int64_t s = 0; s < n; s++)                                                    \
        for (int64_t p = 0; p < P; p++)                                                  \
          sum += gy[(s * F + f) * P + p];                                                \
      db[f] += (REAL)sum;                                                                \
    }                                                                                    \
  }

CONV_LOOPS(_d, double)
CONV_LOOPS(_f, float)

typedef struct conv_loops {
  void (*im2col)(void *col, const void *x, const conv_dims *d, int64_t n);
  void (*col2im_add)(void *gx, const void *col, const conv_dims *d, int64_t n);
  void (*scatter)(void *out, const void *t, const conv_dims *d, int64_t n, int accumulate);
  void (*add_bias)(void *y, const void *bias, const conv_dims *d, int64_t n);
  void (*bias_grad)(void *db, const void *gy, const conv_dims *d, int64_t n);
} conv_loops;

static const conv_loops loops_d = {im2col_d, col2im_add_d, scatter_d, add_bias_d, bias_grad_d};
static const conv_loops loops_f = {im2col_f, col2im_add_f, scatter_f, add_bias_f, bias_grad_f};

static const conv_loops *loops_of(const js_kernels *k) {
  return k->precision == JS_PRECISION_SINGLE ? &loops_f : &loops_d;
}

/* t (F, n P) = the samples of in (n, F, P) side by side: gy laid out as the
 * output of a chunk's GEMM, to multiply it back. */
static void gather(const js_kernels *k, void *t, const void *in, const conv_dims *d,
                   int64_t n) {
  for (int64_t s = 0; s < n; s++)
    for (int64_t f = 0; f < d->F; f++)
      memcpy(js_elem(k, t, f * n * d->P + s * d->P), js_elem(k, in, (s * d->F + f) * d->P),
             k->size * (size_t)d->P);
}

/* Samples per chunk when a call processes n_samples. */
static int64_t chunk_of(const conv_dims *d, int64_t n_samples) {
  int64_t n = GEMM_COLUMNS / d->P;
  if (n < 1)
    n = 1;
  return n < n_samples ? n : n_samples;
}

/* A call's scratch cut for chunks of n samples: col (K, n P) holds patch
 * matrices, t (F, n P) a GEMM's output or its gathered cotangent. */
typedef struct chunks {
  int64_t n;
  void *col, *t;
} chunks;

static chunks chunks_of(const js_kernels *k, const conv_dims *d, void *scratch,
                        int64_t n_samples) {
  chunks ch;
  ch.n = chunk_of(d, n_samples);
  ch.col = scratch;
  ch.t = js_elem(k, scratch, d->K * ch.n * d->P);
  return ch;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* A call touches at most max(B, b B) samples at once (the block's input
 * tangents or cotangents); the chunk is capped by that. */
static size_t conv2d_scratch_size(const js_node *node, const js_kernels *k, int64_t B,
                                  int64_t b) {
  conv_dims d = dims_of(node);
  int64_t n = chunk_of(&d, B * (b > 1 ? b : 1));
  return k->size * (size_t)((d.K + d.F) * n * d.P);
}

/* out (n_samples, F, P) = W * in for in (n_samples, C, H, W) and
 * w (F, K): all samples share W, so each chunk is one GEMM. */
static void convolve(const js_kernels *k, const conv_dims *d, void *out, const void *in,
                     const void *w, int64_t n_samples, void *scratch) {
  const conv_loops *L = loops_of(k);
  chunks ch = chunks_of(k, d, scratch, n_samples);
  for (int64_t s = 0; s < n_samples; s += ch.n) {
    int64_t n = min64(ch.n, n_samples - s), cols = n * d->P;
    L->im2col(ch.col, js_elem(k, in, s * d->in), d, n);
    k->gemm(0, 0, d->F, cols, d->K, 1.0, w, d->K, ch.col, cols, 0.0, ch.t, cols);
    L->scatter(js_elem(k, out, s * d->out), ch.t, d, n, 0);
  }
}

/* y (B, F, Ho, Wo) from x (B, C, H, W), W (F, C, kh, kw), bias (F). */
static void conv2d_forward(const js_op_call *c) {
  conv_dims d = dims_of(c->node);
  convolve(c->k, &d, c->y, c->x[0], c->w[0], c->B, c->scratch);
  if (c->w[1])
    loops_of(c->k)->add_bias(c->y, c->w[1], &d, c->B);
}

/* dy (b, B, out) += dW_j * x for every vector j, dW_j (F, K) at
 * dw[0] + j p: a chunk's patch matrices are built once and serve the b
 * GEMMs, since im2col costs about as much as a GEMM with few filters. */
static void weight_tangent_add(const js_op_call *c, const conv_dims *d) {
  const js_kernels *k = c->k;
  const conv_loops *L = loops_of(k);
  chunks ch = chunks_of(k, d, c->scratch, c->B);
  for (int64_t s = 0; s < c->B; s += ch.n) {
    int64_t n = min64(ch.n, c->B - s), cols = n * d->P;
    L->im2col(ch.col, js_elem(k, c->x[0], s * d->in), d, n);
    for (int64_t j = 0; j < c->b; j++) {
      k->gemm(0, 0, d->F, cols, d->K, 1.0, js_elem(k, c->dw[0], j * c->dw_stride), d->K,
              ch.col, cols, 0.0, ch.t, cols);
      L->scatter(js_elem(k, c->dy, (j * c->B + s) * d->out), ch.t, d, n, 1);
    }
  }
}

/* dy (b, B, out) = W * dx_j + dW_j * x + db_j, for dx (b, B, in),
 * dW_j (F, K) and db_j (F) at dw[i] + j p. */
static void conv2d_jvp(const js_op_call *c) {
  const js_kernels *k = c->k;
  conv_dims d = dims_of(c->node);
  int64_t bB = c->b * c->B;
  if (c->dx[0])
    convolve(k, &d, c->dy, c->dx[0], c->w[0], bB, c->scratch);
  else
    memset(c->dy, 0, k->size * (size_t)(bB * d.out));
  if (c->dw[0])
    weight_tangent_add(c, &d);
  if (c->dw[1])
    for (int64_t j = 0; j < c->b; j++)
      loops_of(k)->add_bias(js_elem(k, c->dy, j * c->B * d.out),
                            js_elem(k, c->dw[1], j * c->dw_stride), &d, c->B);
}

/* gx (b, B, in) += col2im(W^T gy) for gy (b, B, out): every sample of the
 * block shares W, so each chunk is one GEMM. */
static void input_cotangent_add(const js_op_call *c, const conv_dims *d) {
  const js_kernels *k = c->k;
  int64_t bB = c->b * c->B;
  chunks ch = chunks_of(k, d, c->scratch, bB);
  for (int64_t s = 0; s < bB; s += ch.n) {
    int64_t n = min64(ch.n, bB - s), cols = n * d->P;
    gather(k, ch.t, js_elem(k, c->gy, s * d->out), d, n);
    k->gemm(1, 0, d->K, cols, d->F, 1.0, c->w[0], d->K, ch.t, cols, 0.0, ch.col, cols);
    loops_of(k)->col2im_add(js_elem(k, c->gx[0], s * d->in), ch.col, d, n);
  }
}

/* dW_j (F, K) += gy_j X~^T summed over the samples, for every vector j: the
 * GEMM's inner dimension runs over a chunk's n P pixels and beta = 1 adds
 * the chunks up; the patch matrices serve all b vectors. */
static void weight_gradient_add(const js_op_call *c, const conv_dims *d) {
  const js_kernels *k = c->k;
  chunks ch = chunks_of(k, d, c->scratch, c->B);
  for (int64_t s = 0; s < c->B; s += ch.n) {
    int64_t n = min64(ch.n, c->B - s), cols = n * d->P;
    loops_of(k)->im2col(ch.col, js_elem(k, c->x[0], s * d->in), d, n);
    for (int64_t j = 0; j < c->b; j++) {
      gather(k, ch.t, js_elem(k, c->gy, (j * c->B + s) * d->out), d, n);
      k->gemm(0, 1, d->F, d->K, cols, 1.0, ch.t, cols, ch.col, cols, 1.0,
              js_elem(k, c->dw[0], j * c->dw_stride), d->K);
    }
  }
}

/* gx (b, B, in), dW_j (F, K) and db_j (F) at dw[i] + j p, each += its part
 * of the transpose, for gy (b, B, out). */
static void conv2d_vjp(const js_op_call *c) {
  conv_dims d = dims_of(c->node);
  if (c->gx[0])
    input_cotangent_add(c, &d);
  if (c->dw[0])
    weight_gradient_add(c, &d);
  if (c->dw[1])
    for (int64_t j = 0; j < c->b; j++)
      loops_of(c->k)->bias_grad(js_elem(c->k, c->dw[1], j * c->dw_stride),
                                js_elem(c->k, c->gy, j * c->B * d.out), &d, c->B);
}

const js_op js_op_conv2d = {.name = "conv2d",
                            .input_for_weight = 1,
                            .scratch_size = conv2d_scratch_size,
                            .forward = conv2d_forward,
                            .jvp = conv2d_jvp,
                            .vjp = conv2d_vjp};

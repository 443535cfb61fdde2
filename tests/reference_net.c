#include "reference_net.h"

#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken premise of the reference (not a result under test): stop loudly,
 * also in release builds, where assert() is compiled out. */
static void require(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "reference_net: %s\n", what);
    abort();
  }
}

ref_mlp ref_mlp_of(const js_mlp_options *opt) {
  ref_mlp arch = {.n_layers = opt->n_layers, .act = opt->act, .bias = opt->bias};
  require(opt->n_layers >= 1 && opt->n_layers <= REF_MAX_LAYERS, "depth out of range");
  for (int l = 0; l <= opt->n_layers; l++)
    arch.widths[l] = opt->widths[l];
  return arch;
}

double ref_phi(js_activation act, double z) {
  switch (act.kind) {
  case JS_ACT_LINEAR: return z;
  case JS_ACT_RELU: return z > 0 ? z : 0;
  case JS_ACT_LEAKY: return z > 0 ? z : act.slope * z;
  case JS_ACT_SOFTPLUS: return log(1.0 + exp(z)); /* fine for the test range */
  case JS_ACT_TANH: return tanh(z);
  case JS_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
  case JS_ACT_QUADRATIC: return z * z / 2;
  }
  return NAN;
}

double ref_phi_prime(js_activation act, double z) {
  switch (act.kind) {
  case JS_ACT_LINEAR: return 1;
  case JS_ACT_RELU: return z > 0 ? 1 : 0;
  case JS_ACT_LEAKY: return z > 0 ? 1 : act.slope;
  case JS_ACT_SOFTPLUS: return exp(z) / (1.0 + exp(z));
  case JS_ACT_TANH: return 1.0 / (cosh(z) * cosh(z));
  case JS_ACT_SIGMOID: return exp(-z) / ((1.0 + exp(-z)) * (1.0 + exp(-z)));
  case JS_ACT_QUADRATIC: return z;
  }
  return NAN;
}

/* Layer l's weight (kind 'W') or bias ('b') tensor: its values (NULL for a
 * bias the architecture does not have) and whether it is trained. */
static const double *layer_tensor(const ref_mlp *arch, const js_net *net, char kind, int l,
                                  int *trained) {
  *trained = 0;
  if (kind == 'b' && !arch->bias)
    return NULL;
  char name[16];
  snprintf(name, sizeof name, "%c%d", kind, l);
  int index = js_net_find_tensor(net, name);
  require(index >= 0, "a tensor of the architecture is missing");
  js_tensor_info info;
  require(js_net_tensor_info(net, index, &info) == JS_OK, "tensor info");
  int64_t rows = arch->widths[l], cols = arch->widths[l - 1];
  if (kind == 'W')
    require(info.ndim == 2 && info.shape[0] == rows && info.shape[1] == cols,
            "a weight's shape differs from the architecture");
  else
    require(info.ndim == 1 && info.shape[0] == rows, "a bias's shape differs");
  *trained = info.trained;
  return js_net_tensor(net, index);
}

/* The reference's theta layout: offset[l][0] of W_l, offset[l][1] of b_l
 * (-1 when not trained); returns p. */
static int64_t layout(const ref_mlp *arch, const js_net *net,
                      int64_t offset[REF_MAX_LAYERS + 1][2]) {
  int64_t p = 0;
  for (int l = 1; l <= arch->n_layers; l++) {
    int trained;
    layer_tensor(arch, net, 'W', l, &trained);
    offset[l][0] = trained ? p : -1;
    p += trained ? arch->widths[l] * arch->widths[l - 1] : 0;
    offset[l][1] = -1;
    if (layer_tensor(arch, net, 'b', l, &trained) && trained) {
      offset[l][1] = p;
      p += arch->widths[l];
    }
  }
  return p;
}

int64_t ref_n_params(const ref_mlp *arch, const js_net *net) {
  int64_t offset[REF_MAX_LAYERS + 1][2];
  return layout(arch, net, offset);
}

/* One sample's pass: z[l] and h[l] for l = 1..L (h[0] = x, h[L] = z[L] = f). */
typedef struct sample_pass {
  double z[REF_MAX_LAYERS + 1][REF_MAX_WIDTH];
  double h[REF_MAX_LAYERS + 1][REF_MAX_WIDTH];
} sample_pass;

static void forward_sample(const ref_mlp *arch, const js_net *net, const double *x,
                           sample_pass *s) {
  int L = arch->n_layers;
  for (int64_t c = 0; c < arch->widths[0]; c++)
    s->h[0][c] = x[c];
  for (int l = 1; l <= L; l++) {
    int64_t rows = arch->widths[l], cols = arch->widths[l - 1];
    require(rows <= REF_MAX_WIDTH && cols <= REF_MAX_WIDTH, "width above REF_MAX_WIDTH");
    int trained;
    const double *w = layer_tensor(arch, net, 'W', l, &trained);
    const double *b = layer_tensor(arch, net, 'b', l, &trained);
    for (int64_t a = 0; a < rows; a++) {
      double sum = b ? b[a] : 0;
      for (int64_t c = 0; c < cols; c++)
        sum += w[a * cols + c] * s->h[l - 1][c];
      s->z[l][a] = sum;
      s->h[l][a] = l < L ? ref_phi(arch->act, sum) : sum;
    }
  }
}

void ref_forward(const ref_mlp *arch, const js_net *net, const double *x, int64_t n_samples,
                 double *f) {
  static sample_pass s;
  int L = arch->n_layers;
  int64_t d = arch->widths[0], K = arch->widths[L];
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(arch, net, x + i * d, &s);
    for (int64_t k = 0; k < K; k++)
      f[i * K + k] = s.h[L][k];
  }
}

void ref_jacobian(const ref_mlp *arch, const js_net *net, const double *x, int64_t n_samples,
                  double *jacobian) {
  static sample_pass s;
  int L = arch->n_layers;
  int64_t d = arch->widths[0], K = arch->widths[L];
  int64_t offset[REF_MAX_LAYERS + 1][2];
  int64_t p = layout(arch, net, offset);
  memset(jacobian, 0, sizeof(double) * (size_t)(n_samples * K * p));
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(arch, net, x + i * d, &s);
    for (int64_t k = 0; k < K; k++) {
      double *row = jacobian + (i * K + k) * p;
      /* delta = d f_k / d z_l, starting from e_k at the output. */
      double delta[REF_MAX_WIDTH] = {0}, below[REF_MAX_WIDTH];
      delta[k] = 1;
      for (int l = L; l >= 1; l--) {
        int64_t rows = arch->widths[l], cols = arch->widths[l - 1];
        int trained;
        const double *w = layer_tensor(arch, net, 'W', l, &trained);
        if (offset[l][0] >= 0) /* d z_l[a] / d W_l[a, c] = h_{l-1}[c] */
          for (int64_t a = 0; a < rows; a++)
            for (int64_t c = 0; c < cols; c++)
              row[offset[l][0] + a * cols + c] = delta[a] * s.h[l - 1][c];
        if (offset[l][1] >= 0) /* d z_l[a] / d b_l[a] = 1 */
          for (int64_t a = 0; a < rows; a++)
            row[offset[l][1] + a] = delta[a];
        if (l == 1)
          break;
        for (int64_t c = 0; c < cols; c++) {
          double sum = 0;
          for (int64_t a = 0; a < rows; a++)
            sum += w[a * cols + c] * delta[a];
          below[c] = ref_phi_prime(arch->act, s.z[l - 1][c]) * sum;
        }
        memcpy(delta, below, sizeof(double) * (size_t)cols);
      }
    }
  }
}

double ref_min_abs_preactivation(const ref_mlp *arch, const js_net *net, const double *x,
                                 int64_t n_samples) {
  static sample_pass s;
  int L = arch->n_layers;
  double least = INFINITY;
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(arch, net, x + i * arch->widths[0], &s);
    for (int l = 1; l < L; l++)
      for (int64_t a = 0; a < arch->widths[l]; a++)
        least = fmin(least, fabs(s.z[l][a]));
  }
  return least;
}

void ref_apply(const double *jacobian, int64_t rows, int64_t cols, int transpose,
               int64_t n_vectors, const double *in, double *out) {
  int64_t n_in = transpose ? rows : cols, n_out = transpose ? cols : rows;
  for (int64_t j = 0; j < n_vectors; j++)
    for (int64_t o = 0; o < n_out; o++) {
      double sum = 0;
      for (int64_t q = 0; q < n_in; q++)
        sum += (transpose ? jacobian[q * cols + o] : jacobian[o * cols + q]) *
               in[j * n_in + q];
      out[j * n_out + o] = sum;
    }
}

double ref_dot(const double *a, const double *b, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; i++)
    sum += a[i] * b[i];
  return sum;
}

double ref_relative_error(const double *a, const double *b, int64_t n) {
  double diff = 0, norm = ref_dot(b, b, n);
  for (int64_t i = 0; i < n; i++)
    diff += (a[i] - b[i]) * (a[i] - b[i]);
  return norm > 0 ? sqrt(diff / norm) : sqrt(diff);
}

void ref_fill_normal(double *a, int64_t n, uint64_t seed) {
  js_rng rng;
  js_rng_seed(&rng, seed);
  for (int64_t i = 0; i < n; i++)
    a[i] = js_rng_normal(&rng);
}

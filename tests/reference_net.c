#include "reference_net.h"

#include "core/rng.h"

#include <assert.h>
#include <math.h>
#include <string.h>

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

/* One sample's pass: z[l] and h[l] for l = 1..L (h[0] = x, h[L] = z[L] = f). */
typedef struct sample_pass {
  double z[JS_MAX_LAYERS + 1][REF_MAX_WIDTH];
  double h[JS_MAX_LAYERS + 1][REF_MAX_WIDTH];
} sample_pass;

static void forward_sample(js_net *net, const double *x, sample_pass *s) {
  int L = js_net_n_layers(net);
  js_activation act = js_net_activation(net);
  for (int64_t c = 0; c < js_net_width(net, 0); c++)
    s->h[0][c] = x[c];
  for (int l = 1; l <= L; l++) {
    int64_t rows = js_net_width(net, l), cols = js_net_width(net, l - 1);
    assert(rows <= REF_MAX_WIDTH && cols <= REF_MAX_WIDTH);
    const double *w = js_net_weights(net, l);
    for (int64_t a = 0; a < rows; a++) {
      double sum = 0;
      for (int64_t c = 0; c < cols; c++)
        sum += w[a * cols + c] * s->h[l - 1][c];
      s->z[l][a] = sum;
      s->h[l][a] = l < L ? ref_phi(act, sum) : sum;
    }
  }
}

void ref_forward(js_net *net, const double *x, int64_t n_samples, double *f) {
  static sample_pass s;
  int L = js_net_n_layers(net);
  int64_t d = js_net_width(net, 0), K = js_net_width(net, L);
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(net, x + i * d, &s);
    for (int64_t k = 0; k < K; k++)
      f[i * K + k] = s.h[L][k];
  }
}

void ref_jacobian(js_net *net, const double *x, int64_t n_samples, double *jacobian) {
  static sample_pass s;
  int L = js_net_n_layers(net);
  js_activation act = js_net_activation(net);
  int64_t d = js_net_width(net, 0), K = js_net_width(net, L);
  int64_t p = 0, offset[JS_MAX_LAYERS + 1];
  for (int l = 1; l <= L; l++) {
    offset[l] = p;
    if (js_net_is_trained(net, l))
      p += js_net_width(net, l) * js_net_width(net, l - 1);
  }
  memset(jacobian, 0, sizeof(double) * (size_t)(n_samples * K * p));
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(net, x + i * d, &s);
    for (int64_t k = 0; k < K; k++) {
      double *row = jacobian + (i * K + k) * p;
      /* delta = d f_k / d z_l, starting from e_k at the output. */
      double delta[REF_MAX_WIDTH] = {0}, below[REF_MAX_WIDTH];
      delta[k] = 1;
      for (int l = L; l >= 1; l--) {
        int64_t rows = js_net_width(net, l), cols = js_net_width(net, l - 1);
        const double *w = js_net_weights(net, l);
        if (js_net_is_trained(net, l))
          for (int64_t a = 0; a < rows; a++)
            for (int64_t c = 0; c < cols; c++)
              row[offset[l] + a * cols + c] = delta[a] * s.h[l - 1][c];
        if (l == 1)
          break;
        for (int64_t c = 0; c < cols; c++) {
          double sum = 0;
          for (int64_t a = 0; a < rows; a++)
            sum += w[a * cols + c] * delta[a];
          below[c] = ref_phi_prime(act, s.z[l - 1][c]) * sum;
        }
        memcpy(delta, below, sizeof(double) * (size_t)cols);
      }
    }
  }
}

double ref_min_abs_preactivation(js_net *net, const double *x, int64_t n_samples) {
  static sample_pass s;
  int L = js_net_n_layers(net);
  double least = INFINITY;
  for (int64_t i = 0; i < n_samples; i++) {
    forward_sample(net, x + i * js_net_width(net, 0), &s);
    for (int l = 1; l < L; l++)
      for (int64_t a = 0; a < js_net_width(net, l); a++)
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

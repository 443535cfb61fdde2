#include "model/activation.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elementwise loops shorter than this run on one thread: below it the cost
 * of waking the OpenMP team exceeds the work. */
#define PARALLEL_MIN 16384

#define VALID_NAMES \
  "linear, relu, leaky:<slope> (e.g. leaky:0.1), softplus, tanh, sigmoid, quadratic"

static const char *const kind_names[] = {
    [JS_ACT_LINEAR] = "linear",   [JS_ACT_RELU] = "relu",
    [JS_ACT_LEAKY] = "leaky",     [JS_ACT_SOFTPLUS] = "softplus",
    [JS_ACT_TANH] = "tanh",       [JS_ACT_SIGMOID] = "sigmoid",
    [JS_ACT_QUADRATIC] = "quadratic"};
#define N_KINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

int js_activation_check(js_activation act, const char *what) {
  if ((int)act.kind < 0 || (int)act.kind >= N_KINDS)
    return js_fail(JS_EINVAL, "%s: unknown activation kind %d (valid: " VALID_NAMES ")",
                   what, (int)act.kind);
  if (act.kind == JS_ACT_LEAKY && !isfinite(act.slope))
    return js_fail(JS_EINVAL, "%s: leaky slope %g is not finite", what, act.slope);
  return JS_OK;
}

int js_activation_parse(const char *text, js_activation *out) {
  if (!text || !out)
    return js_fail(JS_EINVAL, "activation: NULL %s", text ? "output" : "name");
  js_activation act = {JS_ACT_LINEAR, 0.0};
  const char *slope = strncmp(text, "leaky:", 6) == 0 ? text + 6 : NULL;
  if (slope) {
    char *end;
    act.kind = JS_ACT_LEAKY;
    act.slope = strtod(slope, &end);
    if (end == slope || *end != '\0')
      return js_fail(JS_EINVAL, "activation '%s': the slope after 'leaky:' is not a number",
                     text);
    if (!isfinite(act.slope))
      return js_fail(JS_EINVAL, "activation '%s': the leaky slope must be finite", text);
    *out = act;
    return JS_OK;
  }
  for (int k = 0; k < N_KINDS; k++)
    if (k != JS_ACT_LEAKY && strcmp(text, kind_names[k]) == 0) {
      act.kind = (js_act_kind)k;
      *out = act;
      return JS_OK;
    }
  return js_fail(JS_EINVAL, "unknown activation '%s' (valid: " VALID_NAMES ")", text);
}

void js_activation_name(js_activation act, char *buf, size_t size) {
  if (!buf || size == 0)
    return;
  if ((int)act.kind < 0 || (int)act.kind >= N_KINDS) {
    snprintf(buf, size, "unknown");
    return;
  }
  if (act.kind != JS_ACT_LEAKY) {
    snprintf(buf, size, "%s", kind_names[act.kind]);
    return;
  }
  /* The shortest decimal that parses back to the same slope, so that
   * "leaky:0.1" prints as itself and the name always round-trips. */
  for (int digits = 1; digits <= 17; digits++) {
    snprintf(buf, size, "leaky:%.*g", digits, act.slope);
    if (strtod(buf + 6, NULL) == act.slope)
      return;
  }
}

double js_activation_derivative_bound(js_activation act) {
  switch (act.kind) {
  case JS_ACT_LEAKY: return fmax(1.0, fabs(act.slope));
  case JS_ACT_SIGMOID: return 0.25;
  case JS_ACT_QUADRATIC: return INFINITY;
  default: return 1.0; /* linear, relu, softplus, tanh */
  }
}

double js_activation_second_derivative_bound(js_activation act) {
  switch (act.kind) {
  case JS_ACT_LINEAR: return 0.0;
  case JS_ACT_RELU: return INFINITY;
  case JS_ACT_LEAKY: return act.slope == 1.0 ? 0.0 : INFINITY;
  case JS_ACT_SOFTPLUS: return 0.25;                 /* sigma (1 - sigma) at 0 */
  case JS_ACT_TANH: return 4.0 / (3.0 * sqrt(3.0));  /* 2 tanh sech^2 at tanh = 1/sqrt 3 */
  case JS_ACT_SIGMOID: return 1.0 / (6.0 * sqrt(3.0)); /* s(1-s)(1-2s) at s = 1/2 - 1/sqrt 12 */
  case JS_ACT_QUADRATIC: return 1.0;
  }
  return NAN;
}

/* 1 / (1 + e^-z) without overflow of e^-z for large negative z. */
static double sigmoid(double z) {
  if (z >= 0.0)
    return 1.0 / (1.0 + exp(-z));
  double e = exp(z);
  return e / (1.0 + e);
}

/* log(1 + e^z) = max(z, 0) + log1p(e^-|z|): exact to rounding for all z. */
static double softplus(double z) { return fmax(z, 0.0) + log1p(exp(-fabs(z))); }

static double phi(js_activation act, double z) {
  switch (act.kind) {
  case JS_ACT_LINEAR: return z;
  case JS_ACT_RELU: return z > 0.0 ? z : 0.0;
  case JS_ACT_LEAKY: return z > 0.0 ? z : act.slope * z;
  case JS_ACT_SOFTPLUS: return softplus(z);
  case JS_ACT_TANH: return tanh(z);
  case JS_ACT_SIGMOID: return sigmoid(z);
  case JS_ACT_QUADRATIC: return 0.5 * z * z;
  }
  return NAN;
}

/* At the kink z = 0, relu and leaky take the left derivative (doc/DESIGN.md:
 * relu'(0) = 0). */
static double phi_prime(js_activation act, double z) {
  switch (act.kind) {
  case JS_ACT_LINEAR: return 1.0;
  case JS_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
  case JS_ACT_LEAKY: return z > 0.0 ? 1.0 : act.slope;
  case JS_ACT_SOFTPLUS: return sigmoid(z);
  case JS_ACT_TANH: {
    double t = tanh(z);
    return 1.0 - t * t;
  }
  case JS_ACT_SIGMOID: {
    double s = sigmoid(z);
    return s * (1.0 - s);
  }
  case JS_ACT_QUADRATIC: return z;
  }
  return NAN;
}

/* The three loops for each element type the products compute in: phi and
 * phi' are evaluated in double either way (a float rounding of an exact
 * value). _Pragma carries the OpenMP directive through the macro. */
#define ACTIVATION_LOOPS(SUFFIX, REAL)                                                 \
  void js_activation_forward##SUFFIX(js_activation act, REAL *h, const REAL *z,       \
                                     int64_t n) {                                      \
    _Pragma("omp parallel for if (n >= PARALLEL_MIN)")                                 \
    for (int64_t i = 0; i < n; i++)                                                    \
      h[i] = (REAL)phi(act, z[i]);                                                     \
  }                                                                                    \
  void js_activation_derivative##SUFFIX(js_activation act, REAL *dphi, const REAL *z, \
                                        int64_t n) {                                   \
    _Pragma("omp parallel for if (n >= PARALLEL_MIN)")                                 \
    for (int64_t i = 0; i < n; i++)                                                    \
      dphi[i] = (REAL)phi_prime(act, z[i]);                                            \
  }                                                                                    \
  void js_activation_scale_block##SUFFIX(REAL *t, const REAL *dphi, int64_t size,      \
                                         int64_t n_vectors) {                          \
    _Pragma("omp parallel for collapse(2) if (size * n_vectors >= PARALLEL_MIN)")      \
    for (int64_t j = 0; j < n_vectors; j++)                                            \
      for (int64_t i = 0; i < size; i++)                                               \
        t[j * size + i] *= dphi[i];                                                    \
  }                                                                                    \
                                                                                       \
  void js_activation_scale_add_block##SUFFIX(REAL *acc, const REAL *t, const REAL *dphi, \
                                             int64_t size, int64_t n_vectors) {        \
    _Pragma("omp parallel for collapse(2) if (size * n_vectors >= PARALLEL_MIN)")      \
    for (int64_t j = 0; j < n_vectors; j++)                                            \
      for (int64_t i = 0; i < size; i++)                                               \
        acc[j * size + i] += t[j * size + i] * dphi[i];                                \
  }

ACTIVATION_LOOPS(, double)
ACTIVATION_LOOPS(_f, float)

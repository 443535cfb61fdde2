/* The generalisation bound of the paper's Theorem 3.3 (arbitrary
 * initialisation), term by term:
 *   Err_D(W_T) <= 2 ||Pi_N r_0|| / sqrt(n)                              (bias)
 *              + 12 nu B / sqrt(n) (||J_I^+ r_0|| + Gamma/alpha ||Pi_N r_0||)  (variance)
 *              + 5 sqrt(log(2/delta) / n)                               (confidence)
 *              + 2 C_r (e^-Gamma + zeta)                                (approximation)
 * after T = Gamma / (eta alpha^2) iterations, C_r >= ||r_0|| / sqrt(n)
 * (taken equal), with probability 1 - delta. */
#include "core/error.h"

#include <math.h>

/* Each input's range; `above_min`: the minimum itself is excluded (the
 * theorem divides by alpha, eta and log(2/delta)'s delta). */
static int check_inputs(const js_bound_inputs *in) {
  if (in->n_samples < 1)
    return js_fail(JS_EINVAL, "bound: n = %lld samples", (long long)in->n_samples);
  const struct {
    const char *name;
    double value, min, max;
    int above_min, may_be_inf;
  } ranges[] = {
      {"nu", in->nu, 0, INFINITY, 0, 0},
      {"the derivative bound B", in->deriv_bound, 0, INFINITY, 0, 1}, /* Inf: quadratic */
      {"the cut-off alpha", in->cutoff, 0, INFINITY, 1, 0},
      {"Gamma", in->gamma, 1, INFINITY, 0, 0},
      {"delta", in->delta, 0, 1, 1, 0},
      {"zeta", in->zeta, 0, 0.5, 0, 0},
      {"the learning rate eta", in->lr, 0, INFINITY, 1, 0},
      {"||r_0||", in->res_norm, 0, INFINITY, 0, 0},
      {"||Pi_N r_0||", in->res_nuisance, 0, INFINITY, 0, 0},
      {"||J_I^+ r_0||", in->res_pinv, 0, INFINITY, 0, 0},
  };
  for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
    double v = ranges[i].value;
    int ok = !isnan(v) && (ranges[i].may_be_inf || !isinf(v)) && v <= ranges[i].max &&
             (ranges[i].above_min ? v > ranges[i].min : v >= ranges[i].min);
    if (!ok)
      return js_fail(JS_EINVAL, "bound: %s = %g is outside %c%g, %g]", ranges[i].name, v,
                     ranges[i].above_min ? '(' : '[', ranges[i].min, ranges[i].max);
  }
  return JS_OK;
}

int js_bound_theorem33(const js_bound_inputs *in, js_bound *out) {
  if (!in || !out)
    return js_fail(JS_EINVAL, "bound: NULL %s", in ? "output" : "inputs");
  int status = check_inputs(in);
  if (status)
    return status;
  double sqrt_n = sqrt((double)in->n_samples);
  js_bound b;
  b.c_r = in->res_norm / sqrt_n;
  b.bias = 2.0 * in->res_nuisance / sqrt_n;
  b.variance = 12.0 * in->nu * in->deriv_bound / sqrt_n *
               (in->res_pinv + in->gamma / in->cutoff * in->res_nuisance);
  b.confidence = 5.0 * sqrt(log(2.0 / in->delta) / (double)in->n_samples);
  b.approximation = 2.0 * b.c_r * (exp(-in->gamma) + in->zeta);
  b.total = b.bias + b.variance + b.confidence + b.approximation;
  b.iterations = in->gamma / (in->lr * in->cutoff * in->cutoff);
  *out = b;
  return JS_OK;
}

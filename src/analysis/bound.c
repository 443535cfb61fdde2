/* The generalisation bound of the paper's Theorem 3.3 (arbitrary
 * initialisation), term by term:
 *   Err_D(W_T) <= 2 ||Pi_N r_0|| / sqrt(n)                              (bias)
 *              + 12 nu B / sqrt(n) (||J_I^+ r_0|| + Gamma/alpha ||Pi_N r_0||)  (variance)
 *              + 5 sqrt(log(2/delta) / n)                               (confidence)
 *              + 2 C_r (e^-Gamma + zeta)                                (approximation)
 * after T = Gamma / (eta alpha^2) iterations, C_r >= ||r_0|| / sqrt(n)
 * (taken equal), with probability 1 - delta; its hypotheses and the
 * tighter variance of Theorem 6.21; and Theorem 3.2 (random
 * initialisation) on the analytic kernel. */
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
      {"||X||", isnan(in->input_norm) ? 0 : in->input_norm, 0, INFINITY, 0, 0},
      {"||J^T Pi_N r_0||", isnan(in->nuisance_gradient) ? 0 : in->nuisance_gradient, 0,
       INFINITY, 0, 0},
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

double js_bound_lr_max(double nu, double deriv_bound, double input_norm) {
  return 1.0 / (nu * nu * deriv_bound * deriv_bound * input_norm * input_norm);
}

/* The quantities Theorem 3.3 assumes (and Theorem 6.21 sharpens), NaN
 * where an input is unknown: alpha = nu B alpha_bar n^(1/4) ||X||^(1/2)
 * solved for alpha_bar; the width of (6.57), whose form (3.6) drops the
 * constant and B (the proof's (6.64) needs 576, (6.57) states 25600); eta's
 * limit; D_{alpha,Gamma} of Definition 6.1 for the variance of (6.58). */
static void theorem33_hypotheses(const js_bound_inputs *in, js_bound *b) {
  double n = (double)in->n_samples, nu = in->nu, B = in->deriv_bound, x = in->input_norm;
  int known = x > 0 && isfinite(x);
  b->alpha_bar = known ? in->cutoff / (nu * B * pow(n, 0.25) * sqrt(x)) : NAN;
  b->width_required = known ? 25600.0 * b->c_r * b->c_r * pow(in->gamma, 4) /
                                  (pow(b->alpha_bar, 8) * nu * nu * B * B * in->zeta *
                                   in->zeta)
                            : NAN;
  b->lr_max = known ? js_bound_lr_max(nu, B, x) : NAN;
  double a2 = in->cutoff * in->cutoff;
  b->distance = sqrt(in->res_pinv * in->res_pinv + in->gamma * in->gamma / (a2 * a2) *
                                                       in->nuisance_gradient *
                                                       in->nuisance_gradient);
  b->variance_621 = 12.0 * nu * B * b->distance / sqrt(n);
  b->total_621 = b->bias + b->variance_621 + b->confidence + b->approximation;
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
  theorem33_hypotheses(in, &b);
  *out = b;
  return JS_OK;
}

/* Theorem 3.2 after Theorem 6.23: nu is the theorem's, the cut-off alpha_0
 * = alpha_bar B sqrt(K) n^(1/4) ||X||^(1/2) (the reading under which (6.86)
 * reduces to (3.2): alpha_0^8 = alpha_bar^8 B^8 K^4 n^2 ||X||^4). */
int js_bound_theorem32(const js_bound32_inputs *in, js_bound32 *out) {
  if (!in || !out)
    return js_fail(JS_EINVAL, "bound: NULL %s", in ? "output" : "inputs");
  js_bound_inputs common = {.n_samples = in->n_samples, .nu = 1, .deriv_bound = in->deriv_bound,
                            .cutoff = in->cutoff, .gamma = in->gamma, .delta = in->delta,
                            .zeta = in->zeta, .lr = in->lr > 0 ? in->lr : 1,
                            .res_norm = in->y_norm, .res_nuisance = in->y_nuisance,
                            .res_pinv = in->y_pinv};
  int status = check_inputs(&common);
  if (status)
    return status;
  if (in->n_outputs < 1 || !(in->input_norm > 0 && isfinite(in->input_norm)) ||
      !(in->deriv_bound > 0) || in->lr < 0)
    return js_fail(JS_EINVAL, "bound: Theorem 3.2 needs K >= 1, ||X|| > 0, B > 0 and eta "
                   ">= 0 (got %lld, %g, %g, %g)", (long long)in->n_outputs, in->input_norm,
                   in->deriv_bound, in->lr);
  double n = (double)in->n_samples, K = (double)in->n_outputs, B = in->deriv_bound;
  double x = in->input_norm, a0 = in->cutoff, g = in->gamma, z = in->zeta;
  js_bound32 b;
  b.nu = z / (50.0 * B * sqrt(log(2.0 * K)));
  b.alpha_bar = a0 / (B * sqrt(K) * pow(n, 0.25) * sqrt(x));
  b.bias = 2.0 * in->y_nuisance / sqrt(n);
  b.variance = 12.0 * B * sqrt(K) / sqrt(n) * (in->y_pinv + g / a0 * in->y_nuisance);
  b.zeta_term = 12.0 * (1.0 + g / (b.alpha_bar * pow(n * x * x, 0.25))) * z;
  b.confidence = 5.0 * sqrt(log(2.0 / in->delta) / n);
  b.approximation = 2.0 * exp(-g);
  b.total = b.bias + b.variance + b.zeta_term + b.confidence + b.approximation;
  b.lr_max = js_bound_lr_max(b.nu, B, x);
  b.lr = in->lr > 0 ? in->lr : b.lr_max;
  b.iterations = g * K / (b.lr * b.nu * b.nu * a0 * a0);
  double info2 = in->y_norm * in->y_norm - in->y_nuisance * in->y_nuisance;
  double c = in->y_norm > 0 ? sqrt(fmax(info2, 0.0)) / in->y_norm : 0.0;
  b.width_required = 12e7 * pow(g, 4) * pow(K, 4) * pow(B, 8) * pow(x, 4) * n * n * log(n) /
                     (pow(c, 4) * pow(z, 4) * pow(a0, 8));
  *out = b;
  return JS_OK;
}

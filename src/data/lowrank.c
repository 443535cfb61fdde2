/* The linear model of the paper's section 2.1 (Oymak, Fabian, Li,
 * Soltanolkotabi): X = U Sigma V^T + Z with Sigma = I_r, U and V uniformly
 * random orthonormal, Z i.i.d. N(0, sigma_x^2 / n); y = U Sigma V^T w* + z
 * with w* in Range(V) and z i.i.d. N(0, sigma_y^2 / n). The task (V and
 * w* = V g) and the samples (U, Z, z) have separate seeds, so a test set
 * of the same task is the same options with another seed; the noise can
 * have a seed of its own, for new noise on the same clean data.
 *
 * U is n x r and V is d x r, stored column after column. */
#include "core/blas.h"
#include "core/error.h"
#include "core/rng.h"
#include "data/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void js_lowrank_options_init_defaults(js_lowrank_options *opt) {
  *opt = (js_lowrank_options){.n_samples = 100,
                              .dim = 500,
                              .rank = 10,
                              .sigma_x = 1.0,
                              .sigma_y = 1.0,
                              .task_seed = 1,
                              .seed = 1,
                              .noise_seed = 0};
}

static int check_options(const js_lowrank_options *opt) {
  if (opt->n_samples < 1 || opt->dim < 1)
    return js_fail(JS_EINVAL, "lowrank: n = %lld and d = %lld must be >= 1",
                   (long long)opt->n_samples, (long long)opt->dim);
  if (opt->rank < 1 || opt->rank > opt->n_samples || opt->rank > opt->dim)
    return js_fail(JS_EINVAL, "lowrank: rank r = %lld must be in 1..min(n, d) = %lld",
                   (long long)opt->rank,
                   (long long)(opt->n_samples < opt->dim ? opt->n_samples : opt->dim));
  if (!(opt->sigma_x >= 0 && isfinite(opt->sigma_x) && opt->sigma_y >= 0 &&
        isfinite(opt->sigma_y)))
    return js_fail(JS_EINVAL, "lowrank: sigma_x = %g and sigma_y = %g must be finite and "
                   ">= 0", opt->sigma_x, opt->sigma_y);
  return js_check_entries(opt->n_samples, opt->dim, "lowrank: inputs");
}

/* q (m x k, column after column): Gaussian columns made orthonormal by
 * modified Gram-Schmidt, run twice so the columns stay orthogonal to
 * machine precision. Uniformly distributed (Haar) as QR of a Gaussian. */
static void random_orthonormal(js_rng *rng, int64_t m, int64_t k, double *q) {
  for (int64_t i = 0; i < m * k; i++)
    q[i] = js_rng_normal(rng);
  for (int64_t s = 0; s < k; s++) {
    double *col = q + s * m;
    for (int pass = 0; pass < 2; pass++)
      for (int64_t t = 0; t < s; t++)
        js_axpy(m, -js_dot(m, q + t * m, col), q + t * m, col);
    js_scal(m, 1.0 / js_nrm2(m, col), col);
  }
}

/* The clean model: V and g from the task's stream, then U from the
 * samples' (which the noise continues unless it has a seed of its own). */
static void draw_model(const js_lowrank_options *opt, js_rng *samples, double *u, double *v,
                       double *g) {
  js_rng task;
  js_rng_seed(&task, opt->task_seed);
  js_rng_seed(samples, opt->seed);
  random_orthonormal(&task, opt->dim, opt->rank, v);
  for (int64_t s = 0; s < opt->rank; s++)
    g[s] = js_rng_normal(&task);
  random_orthonormal(samples, opt->n_samples, opt->rank, u);
}

/* The arrays of U, V and g (r) for opt (checked). */
static int model_alloc(const js_lowrank_options *opt, double **u, double **v, double **g) {
  int64_t n = opt->n_samples, d = opt->dim, r = opt->rank;
  *u = js_alloc((size_t)(n * r), sizeof **u, "lowrank: U");
  *v = js_alloc((size_t)(d * r), sizeof **v, "lowrank: V");
  *g = js_alloc((size_t)r, sizeof **g, "lowrank: w*");
  return *u && *v && *g ? JS_OK : JS_ENOMEM;
}

int js_lowrank_basis(const js_lowrank_options *opt, double *u_out, double *v_out,
                     double *w_star) {
  if (!opt)
    return js_fail(JS_EINVAL, "lowrank: NULL options");
  int status = check_options(opt);
  double *u = NULL, *v = NULL, *g = NULL;
  if (!status && !(status = model_alloc(opt, &u, &v, &g))) {
    int64_t n = opt->n_samples, d = opt->dim, r = opt->rank;
    js_rng samples;
    draw_model(opt, &samples, u, v, g);
    if (u_out)
      memcpy(u_out, u, sizeof(double) * (size_t)(n * r));
    if (v_out)
      memcpy(v_out, v, sizeof(double) * (size_t)(d * r));
    /* w* = V g: v read as the r x d V^T, transposed. */
    if (w_star)
      js_gemm(1, 0, d, 1, r, 1.0, v, d, g, 1, 0.0, w_star, 1);
  }
  free(u);
  free(v);
  free(g);
  return status;
}

int js_dataset_lowrank(const js_lowrank_options *opt, js_dataset **out) {
  if (!opt || !out)
    return js_fail(JS_EINVAL, "lowrank: NULL options or output");
  *out = NULL;
  int status = check_options(opt);
  if (status)
    return status;
  int64_t n = opt->n_samples, d = opt->dim, r = opt->rank;
  js_dataset *data = NULL;
  double *u = NULL, *v = NULL, *g = NULL;
  if ((status = model_alloc(opt, &u, &v, &g)) ||
      (status = js_dataset_create(n, d, 1, 0, &data)))
    goto done;
  js_rng stream, own_noise, *samples = &stream;
  draw_model(opt, &stream, u, v, g);
  if (opt->noise_seed) {
    js_rng_seed(&own_noise, opt->noise_seed);
    samples = &own_noise;
  }
  double sx = opt->sigma_x / sqrt((double)n), sy = opt->sigma_y / sqrt((double)n);
  for (int64_t i = 0; i < n * d; i++)
    data->x[i] = sx * js_rng_normal(samples);
  /* x += U V^T: u read as the r x n row-major U^T, v as the r x d V^T. */
  js_gemm(1, 0, n, d, r, 1.0, u, n, v, d, 1.0, data->x, d);
  /* U V^T w* = U V^T V g = U g. */
  for (int64_t i = 0; i < n; i++)
    data->y[i] = sy * js_rng_normal(samples);
  js_gemm(1, 0, n, 1, r, 1.0, u, n, g, 1, 1.0, data->y, 1);
  *out = data;
  data = NULL;
done:
  js_dataset_free(data);
  free(u);
  free(v);
  free(g);
  return status;
}

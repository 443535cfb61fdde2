/* The Gaussian mixture of the paper's Definition 3.4 (Oymak, Fabian, Li,
 * Soltanolkotabi): K classes of C clusters each, unit-norm centres mu_c
 * pairwise at least `separation` apart, every sample drawn from a cluster
 * chosen uniformly among the KC, x = mu_c + N(0, sigma^2/d I), label = the
 * cluster's class. Cluster c belongs to class c / C. */
#include "core/blas.h"
#include "core/error.h"
#include "core/rng.h"
#include "data/dataset.h"

#include <math.h>
#include <stdlib.h>

/* Candidates tried for each centre before the separation is declared
 * impossible: far more than a feasible request needs, few enough that an
 * impossible one fails fast instead of hanging. */
enum { GMM_ATTEMPTS_PER_CENTRE = 1000 };

void js_gmm_options_init_defaults(js_gmm_options *opt) {
  opt->n_samples = 1000;
  opt->n_classes = 3;
  opt->n_clusters = 2;
  opt->dim = 20;
  opt->sigma = 0.1;
  opt->separation = 0.5;
  opt->task_seed = 1;
  opt->seed = 1;
  opt->part = 0;
  opt->parts = 1;
}

static int gmm_check_options(const js_gmm_options *opt) {
  if (opt->n_samples < 1)
    return js_fail(JS_EINVAL, "gmm: n_samples must be >= 1, got %lld",
                   (long long)opt->n_samples);
  if (opt->n_classes < 1)
    return js_fail(JS_EINVAL, "gmm: n_classes must be >= 1, got %lld",
                   (long long)opt->n_classes);
  if (opt->n_clusters < 1)
    return js_fail(JS_EINVAL, "gmm: n_clusters (per class) must be >= 1, got %lld",
                   (long long)opt->n_clusters);
  if (opt->dim < 1)
    return js_fail(JS_EINVAL, "gmm: dim must be >= 1, got %lld", (long long)opt->dim);
  if (!(opt->sigma >= 0.0) || !isfinite(opt->sigma))
    return js_fail(JS_EINVAL, "gmm: sigma must be a finite number >= 0, got %g", opt->sigma);
  if (!(opt->separation >= 0.0 && opt->separation <= 2.0))
    return js_fail(JS_EINVAL, "gmm: separation must be in [0, 2] (the largest distance "
                   "between unit vectors), got %g", opt->separation);
  int rc = js_check_entries(opt->n_classes, opt->n_clusters, "gmm: classes x clusters");
  if (!rc)
    rc = js_check_entries(opt->n_classes * opt->n_clusters, opt->dim, "gmm: centres");
  return rc;
}

/* A uniformly random direction: a standard Gaussian vector, normalised. */
static void random_unit_vector(js_rng *rng, int64_t dim, double *v) {
  double norm;
  do {
    for (int64_t j = 0; j < dim; j++)
      v[j] = js_rng_normal(rng);
    norm = js_nrm2(dim, v);
  } while (norm == 0.0);
  for (int64_t j = 0; j < dim; j++)
    v[j] /= norm;
}

static double squared_distance(const double *a, const double *b, int64_t dim) {
  double s = 0.0;
  for (int64_t j = 0; j < dim; j++)
    s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

/* Rejection sampling: centre c is the first random unit vector at least
 * `separation` from centres 0..c-1 (no comparisons when it is 0, which
 * every pair satisfies). centres is n_centres x dim. */
static int place_centres(js_rng *rng, const js_gmm_options *opt, int64_t n_centres,
                         double *centres) {
  int64_t dim = opt->dim;
  double min_sq = opt->separation * opt->separation;
  for (int64_t c = 0; c < n_centres; c++) {
    double *mu = centres + c * dim;
    int placed = 0;
    for (int attempt = 0; attempt < GMM_ATTEMPTS_PER_CENTRE && !placed; attempt++) {
      random_unit_vector(rng, dim, mu);
      placed = 1;
      for (int64_t e = 0; e < c && placed && min_sq > 0.0; e++)
        placed = squared_distance(mu, centres + e * dim, dim) >= min_sq;
    }
    if (!placed)
      return js_fail(JS_EINVAL, "gmm: %lld unit-norm cluster centres (%lld classes x %lld "
                     "clusters) pairwise at least %g apart do not fit in dimension %lld "
                     "(placed %lld, then %d attempts failed); lower sep or raise dim",
                     (long long)n_centres, (long long)opt->n_classes,
                     (long long)opt->n_clusters, opt->separation, (long long)dim,
                     (long long)c, GMM_ATTEMPTS_PER_CENTRE);
  }
  return JS_OK;
}

int js_dataset_gmm(const js_gmm_options *opt, js_dataset **out) {
  if (!opt || !out)
    return js_fail(JS_EINVAL, "gmm: NULL options or output");
  *out = NULL;
  int rc = gmm_check_options(opt);
  if (rc)
    return rc;
  int64_t first, n, dim = opt->dim;
  js_shard_range(opt->n_samples, opt->part, opt->parts, &first, &n);
  int64_t n_centres = opt->n_classes * opt->n_clusters;
  js_dataset *data = NULL;
  double *centres = js_alloc((size_t)(n_centres * dim), sizeof *centres, "gmm centres");
  if (!centres)
    return JS_ENOMEM;
  js_rng task_rng, rng;
  js_rng_seed(&task_rng, opt->task_seed);
  /* The data set first: its size checks fail fast, before the centres. */
  if ((rc = js_dataset_create(n, dim, opt->n_classes, 1, &data)) ||
      (rc = place_centres(&task_rng, opt, n_centres, centres)))
    goto done;
  /* Each coordinate of the noise has variance sigma^2 / d, so that
   * E||x - mu||^2 = sigma^2 whatever the dimension. */
  double scale = opt->sigma / sqrt((double)dim);
  for (int64_t i = 0; i < n; i++) {
    /* Sample first + i from its own stream: the same in every shard. */
    js_rng_seed_at(&rng, opt->seed, (uint64_t)(first + i));
    int64_t c = (int64_t)js_rng_below(&rng, (uint64_t)n_centres);
    const double *mu = centres + c * dim;
    for (int64_t j = 0; j < dim; j++)
      data->x[i * dim + j] = mu[j] + scale * js_rng_normal(&rng);
    data->labels[i] = (int32_t)(c / opt->n_clusters);
  }
  if ((rc = js_dataset_one_hot(data)))
    goto done;
  if (n < opt->n_samples) {
    data->first_sample = first;
    data->total_samples = opt->n_samples;
  }
  *out = data;
  data = NULL;
done:
  js_dataset_free(data);
  free(centres);
  return rc;
}

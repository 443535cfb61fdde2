/* Parity (monomial) data, the sparse parities of the universality talk in
 * papers/: y = prod_{j in S} x_j on the hypercube, |S| = degree. */
#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>

void js_parity_options_init_defaults(js_parity_options *opt) {
  opt->n_samples = 1000;
  opt->bits = 20;
  opt->degree = 3;
  opt->task_seed = 1;
  opt->seed = 1;
  opt->part = 0;
  opt->parts = 1;
}

double js_parity_cross_predictability(int64_t bits, int64_t degree) {
  if (bits < 1 || degree < 0 || degree > bits)
    return NAN;
  /* C(bits, k) = prod_{i=1..k} (bits - k + i) / i over the smaller k, each
   * partial product an integer (C(bits - k + i, i)), so exact while below
   * 2^53. */
  int64_t k = degree < bits - degree ? degree : bits - degree;
  double choose = 1;
  for (int64_t i = 1; i <= k; i++)
    choose = choose * (double)(bits - k + i) / (double)i;
  return 1.0 / choose;
}

static int ascending(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int js_dataset_parity(const js_parity_options *opt, int64_t *subset, js_dataset **out) {
  if (!opt || !out)
    return js_fail(JS_EINVAL, "js_dataset_parity: NULL options or output");
  *out = NULL;
  if (opt->n_samples < 1 || opt->bits < 1)
    return js_fail(JS_EINVAL, "parity: n = %lld and bits = %lld must be at least 1",
                   (long long)opt->n_samples, (long long)opt->bits);
  if (opt->degree < 0 || opt->degree > opt->bits)
    return js_fail(JS_EINVAL, "parity: degree = %lld must be in 0..bits (bits = %lld)",
                   (long long)opt->degree, (long long)opt->bits);
  int64_t *coords = js_alloc((size_t)opt->bits, sizeof *coords, "parity coordinates");
  if (!coords)
    return JS_ENOMEM;
  int64_t first, n;
  js_shard_range(opt->n_samples, opt->part, opt->parts, &first, &n);
  int rc = js_dataset_create(n, opt->bits, 1, 0, out);
  if (rc)
    goto done;
  js_rng task_rng, rng;
  js_rng_seed(&task_rng, opt->task_seed);
  /* S: the first `degree` entries of a partial Fisher-Yates shuffle. */
  for (int64_t j = 0; j < opt->bits; j++)
    coords[j] = j;
  for (int64_t j = 0; j < opt->degree; j++) {
    int64_t pick = j + (int64_t)js_rng_below(&task_rng, (uint64_t)(opt->bits - j));
    int64_t t = coords[j];
    coords[j] = coords[pick];
    coords[pick] = t;
  }
  qsort(coords, (size_t)opt->degree, sizeof *coords, ascending);
  js_dataset *data = *out;
  if (n < opt->n_samples) {
    data->first_sample = first;
    data->total_samples = opt->n_samples;
  }
  for (int64_t i = 0; i < n; i++) {
    /* Sample first + i from its own stream: the same in every shard. */
    js_rng_seed_at(&rng, opt->seed, (uint64_t)(first + i));
    double *x = data->x + i * opt->bits;
    for (int64_t j = 0; j < opt->bits; j++)
      x[j] = js_rng_sign(&rng);
    double y = 1.0;
    for (int64_t s = 0; s < opt->degree; s++)
      y *= x[coords[s]];
    data->y[i] = y;
  }
  for (int64_t s = 0; subset && s < opt->degree; s++)
    subset[s] = coords[s];
done:
  free(coords);
  return rc;
}

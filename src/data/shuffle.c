/* A seeded permutation of the samples, so that "the first m" of a file
 * (or a train/test cut of it) need not follow the file's order. */
#include "core/error.h"
#include "core/rng.h"

static void swap_rows(double *a, int64_t width, int64_t i, int64_t j) {
  for (int64_t k = 0; k < width; k++) {
    double t = a[i * width + k];
    a[i * width + k] = a[j * width + k];
    a[j * width + k] = t;
  }
}

int js_dataset_shuffle(js_dataset *data, uint64_t seed) {
  if (!data)
    return js_fail(JS_EINVAL, "js_dataset_shuffle: NULL data set");
  js_rng rng;
  js_rng_seed(&rng, seed);
  /* Fisher-Yates: position i takes a uniform pick of the first i + 1. */
  for (int64_t i = data->n_samples - 1; i > 0; i--) {
    int64_t j = (int64_t)js_rng_below(&rng, (uint64_t)i + 1);
    swap_rows(data->x, data->dim, i, j);
    swap_rows(data->y, data->n_outputs, i, j);
    if (data->labels) {
      int32_t t = data->labels[i];
      data->labels[i] = data->labels[j];
      data->labels[j] = t;
    }
  }
  return JS_OK;
}

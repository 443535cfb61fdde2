/* Label corruption as in the paper's section 4: a fraction of the samples
 * gets a label drawn uniformly from the *other* classes. */
#include "core/error.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>

int js_dataset_corrupt_labels(js_dataset *data, double fraction, uint64_t seed,
                              int64_t *n_changed) {
  if (n_changed)
    *n_changed = 0;
  if (!data || !data->labels)
    return js_fail(JS_EINVAL, "corrupt labels: the data set %s", data ? "has no class "
                   "labels (real-valued targets)" : "is NULL");
  if (!(fraction >= 0 && fraction <= 1))
    return js_fail(JS_EINVAL, "corrupt labels: fraction %g is outside [0, 1]", fraction);
  int64_t n = data->n_samples, K = data->n_outputs;
  int64_t count = (int64_t)llround(fraction * (double)n);
  if (count > 0 && K < 2)
    return js_fail(JS_EINVAL, "corrupt labels: %lld class, no other class to move a "
                   "label to", (long long)K);
  int64_t *order = js_alloc((size_t)n, sizeof *order, "corrupt labels: permutation");
  if (!order)
    return JS_ENOMEM;
  js_rng rng;
  js_rng_seed(&rng, seed);
  for (int64_t i = 0; i < n; i++)
    order[i] = i;
  /* The first `count` entries of a partial Fisher-Yates shuffle: a uniform
   * subset of distinct samples. */
  for (int64_t i = 0; i < count; i++) {
    int64_t j = i + (int64_t)js_rng_below(&rng, (uint64_t)(n - i));
    int64_t tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
    /* A uniform class among the K - 1 others: draw from 0..K-2 and skip
     * the current one. */
    int32_t *label = &data->labels[order[i]];
    int32_t other = (int32_t)js_rng_below(&rng, (uint64_t)(K - 1));
    *label = other >= *label ? other + 1 : other;
  }
  free(order);
  if (n_changed)
    *n_changed = count;
  return js_dataset_one_hot(data);
}

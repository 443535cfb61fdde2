/* The js_dataset container: creation, one-hot targets, row scaling and the
 * finiteness check every data source goes through. */
#include "data/dataset.h"

#include "core/blas.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int js_check_entries(int64_t rows, int64_t cols, const char *what) {
  if (rows > 0 && cols > JS_MAX_ENTRIES / rows)
    return js_fail(JS_ELIMIT, "%s: %lld x %lld entries exceed the limit of 2^40",
                   what, (long long)rows, (long long)cols);
  return JS_OK;
}

int js_shard_rows(int64_t n, int part, int parts, const char *what, int64_t *first,
                  int64_t *count) {
  js_shard_range(n, part, parts, first, count);
  if (*count < 1)
    return js_fail(JS_EINVAL, "%s: %lld samples cannot be split into %d parts", what,
                   (long long)n, parts);
  return JS_OK;
}

int js_dataset_create(int64_t n_samples, int64_t dim, int64_t n_outputs,
                      int with_labels, js_dataset **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_dataset_create: NULL output");
  *out = NULL;
  if (n_samples < 1 || dim < 1 || n_outputs < 1)
    return js_fail(JS_EINVAL, "js_dataset_create: n_samples (%lld), dim (%lld) and "
                   "n_outputs (%lld) must all be >= 1", (long long)n_samples,
                   (long long)dim, (long long)n_outputs);
  int rc = js_check_entries(n_samples, dim, "js_dataset_create: inputs x");
  if (!rc)
    rc = js_check_entries(n_samples, n_outputs, "js_dataset_create: targets y");
  if (rc)
    return rc;
  /* Labels are int32: more classes than that could not be named. */
  if (with_labels && n_outputs > INT32_MAX)
    return js_fail(JS_ELIMIT, "js_dataset_create: %lld classes exceed the int32 labels",
                   (long long)n_outputs);
  js_dataset *data = js_alloc(1, sizeof *data, "data set");
  if (!data)
    return JS_ENOMEM;
  data->n_samples = n_samples;
  data->dim = dim;
  data->shape = (js_shape){1, {dim, 0, 0}};
  data->n_outputs = n_outputs;
  data->x = js_alloc((size_t)(n_samples * dim), sizeof *data->x, "data set inputs x");
  data->y = js_alloc((size_t)(n_samples * n_outputs), sizeof *data->y, "data set targets y");
  if (with_labels)
    data->labels = js_alloc((size_t)n_samples, sizeof *data->labels, "data set labels");
  if (!data->x || !data->y || (with_labels && !data->labels)) {
    js_dataset_free(data);
    return JS_ENOMEM;
  }
  *out = data;
  return JS_OK;
}

int js_dataset_shard(const js_dataset *data, int64_t first, int64_t count, js_dataset **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_dataset_shard: NULL output");
  *out = NULL;
  if (!data || first < 0 || count < 1 || count > data->n_samples - first)
    return js_fail(JS_EINVAL, "js_dataset_shard: samples %lld..%lld of a data set of %lld",
                   (long long)first, (long long)(first + count - 1),
                   (long long)(data ? data->n_samples : 0));
  int64_t d = data->dim, k = data->n_outputs;
  int rc = js_dataset_create(count, d, k, data->labels != NULL, out);
  if (rc)
    return rc;
  js_dataset *shard = *out;
  shard->shape = data->shape;
  memcpy(shard->x, data->x + first * d, sizeof(double) * (size_t)(count * d));
  memcpy(shard->y, data->y + first * k, sizeof(double) * (size_t)(count * k));
  if (data->labels)
    memcpy(shard->labels, data->labels + first, sizeof(int32_t) * (size_t)count);
  shard->first_sample = data->first_sample + first;
  shard->total_samples = data->total_samples ? data->total_samples : data->n_samples;
  return JS_OK;
}

void js_dataset_free(js_dataset *data) {
  if (!data)
    return;
  free(data->x);
  free(data->y);
  free(data->labels);
  free(data);
}

int js_dataset_one_hot(js_dataset *data) {
  if (!data || !data->labels)
    return js_fail(JS_EINVAL, "js_dataset_one_hot: %s", data ? "the data set has no labels"
                                                             : "NULL data set");
  int64_t n = data->n_samples, k = data->n_outputs;
  /* Check every label first so a bad one leaves y untouched. */
  for (int64_t i = 0; i < n; i++)
    if (data->labels[i] < 0 || data->labels[i] >= k)
      return js_fail(JS_EINVAL, "js_dataset_one_hot: label %d of sample %lld is not a "
                     "class id 0..%lld", (int)data->labels[i], (long long)i,
                     (long long)(k - 1));
  for (int64_t i = 0; i < n; i++)
    for (int64_t l = 0; l < k; l++)
      data->y[i * k + l] = data->labels[i] == l ? 1.0 : 0.0;
  return JS_OK;
}

int js_dataset_normalize(js_dataset *data) {
  if (!data)
    return js_fail(JS_EINVAL, "js_dataset_normalize: NULL data set");
  int64_t n = data->n_samples, d = data->dim;
  double *norms = js_alloc((size_t)n, sizeof *norms, "row norms");
  if (!norms)
    return JS_ENOMEM;
  int rc = JS_OK;
  /* All norms before any scaling, so a failure leaves x untouched. */
  for (int64_t i = 0; i < n && !rc; i++) {
    norms[i] = js_nrm2(d, data->x + i * d);
    if (norms[i] == 0.0)
      rc = js_fail(JS_EINVAL, "js_dataset_normalize: row %lld of x is zero and has no "
                   "direction to scale to unit norm", (long long)(data->first_sample + i));
    else if (!isfinite(norms[i]))
      rc = js_fail(JS_ENUMERIC, "js_dataset_normalize: row %lld of x has a non-finite "
                   "norm", (long long)(data->first_sample + i));
  }
  /* Divide rather than multiply by 1/norm: a subnormal norm has no finite
   * reciprocal. */
  for (int64_t i = 0; i < n && !rc; i++)
    for (int64_t j = 0; j < d; j++)
      data->x[i * d + j] /= norms[i];
  free(norms);
  return rc;
}

int64_t js_dataset_channels(const js_dataset *data) {
  return data && data->shape.ndim == 3 ? data->shape.dim[0] : 1;
}

/* sums[c] = sum of channel c's values (of their squared deviations from
 * mean[c] when mean is given), over this data set. */
static void channel_sums(const js_dataset *data, const double *mean, double *sums) {
  int64_t C = js_dataset_channels(data), per = data->dim / C;
  for (int64_t c = 0; c < C; c++) {
    double s = 0;
    for (int64_t i = 0; i < data->n_samples; i++) {
      const double *x = data->x + i * data->dim + c * per;
      for (int64_t j = 0; j < per; j++)
        s += mean ? (x[j] - mean[c]) * (x[j] - mean[c]) : x[j];
    }
    sums[c] = s;
  }
}

int js_dataset_channel_stats(const js_dataset *data, const js_comm *comm, double *mean,
                             double *std) {
  if (!data || !mean || !std)
    return js_fail(JS_EINVAL, "js_dataset_channel_stats: NULL %s",
                   !data ? "data set" : "output");
  int64_t C = js_dataset_channels(data);
  double count = (double)(data->n_samples * (data->dim / C));
  /* Two passes, the mean first: no cancellation in the variance. */
  channel_sums(data, NULL, mean);
  int rc = js_comm_sum(comm, mean, C);
  if (!rc)
    rc = js_comm_sum(comm, &count, 1);
  for (int64_t c = 0; !rc && c < C; c++)
    mean[c] /= count;
  if (!rc) {
    channel_sums(data, mean, std);
    rc = js_comm_sum(comm, std, C);
  }
  for (int64_t c = 0; !rc && c < C; c++)
    std[c] = sqrt(std[c] / count);
  return rc;
}

int js_dataset_standardize(js_dataset *data, const double *mean, const double *std) {
  if (!data || !mean || !std)
    return js_fail(JS_EINVAL, "js_dataset_standardize: NULL %s",
                   !data ? "data set" : "statistics");
  int64_t C = js_dataset_channels(data), per = data->dim / C;
  for (int64_t c = 0; c < C; c++)
    if (!(std[c] > 0 && isfinite(std[c]) && isfinite(mean[c])))
      return js_fail(JS_EINVAL, "standardize: channel %lld has mean %g and standard "
                     "deviation %g: a constant channel cannot be standardised",
                     (long long)c, mean[c], std[c]);
  for (int64_t i = 0; i < data->n_samples; i++)
    for (int64_t c = 0; c < C; c++) {
      double *x = data->x + i * data->dim + c * per;
      for (int64_t j = 0; j < per; j++)
        x[j] = (x[j] - mean[c]) / std[c];
    }
  return JS_OK;
}

static const char *non_finite_name(double v) {
  return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

/* The first non-finite entry of a rows x cols array, or -1. */
static int64_t first_non_finite(const double *a, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows * cols; i++)
    if (!isfinite(a[i]))
      return i;
  return -1;
}

int js_dataset_check_finite(const js_dataset *data, const char *what) {
  if (!what)
    what = "data";
  if (!data)
    return js_fail(JS_EINVAL, "%s: NULL data set", what);
  const struct {
    const char *name, *column;
    const double *a;
    int64_t cols;
  } arrays[] = {{"inputs x", "column", data->x, data->dim},
                {"targets y", "output", data->y, data->n_outputs}};
  for (int k = 0; k < 2; k++) {
    int64_t at = first_non_finite(arrays[k].a, data->n_samples, arrays[k].cols);
    if (at >= 0)
      return js_fail(JS_ENUMERIC, "%s: %s hold %s at row %lld, %s %lld (counting from 0)",
                     what, arrays[k].name, non_finite_name(arrays[k].a[at]),
                     (long long)(data->first_sample + at / arrays[k].cols), arrays[k].column,
                     (long long)(at % arrays[k].cols));
  }
  return JS_OK;
}

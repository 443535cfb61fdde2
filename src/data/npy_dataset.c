/* A data set from .npy files: inputs X with class ids or real targets. */
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

/* The rows of a shard: all of them (parts <= 1), or part's of parts. */
typedef struct row_range {
  int part, parts;
  int64_t first, count; /* set from the inputs' rows (count -1: all) */
  int64_t total;        /* the inputs' rows in the file */
} row_range;

/* Reads a floating-point .npy of rank 1 or 2 (or 4 when images != 0), the
 * rows of `range` (the inputs set range->first and count from their own
 * rows; n_rows = 0 for them); the file's rows must equal n_rows when
 * n_rows > 0. */
static int read_real_matrix(const char *path, const char *what, int64_t n_rows, int images,
                            row_range *range, js_array **out) {
  int64_t rows = 0;
  if (n_rows == 0 && range->parts > 1) { /* the inputs' rows decide the shard */
    js_array *header_only = NULL;
    int rc = js_npy_read_rows(path, 0, 1, &rows, &header_only);
    js_array_free(header_only);
    if (rc)
      return rc;
    js_shard_range(rows, range->part, range->parts, &range->first, &range->count);
  }
  int rc = js_npy_read_rows(path, range->first, range->count, &rows, out);
  if (n_rows == 0)
    range->total = rows;
  if (rc)
    return rc;
  js_array *a = *out;
  if (a->is_integer)
    return js_fail(JS_EFORMAT, "%s: %s must be float32 or float64, found an integer dtype",
                   path, what);
  if ((a->ndim < 1 || a->ndim > 2) && !(images && a->ndim == 4))
    return js_fail(JS_EFORMAT, "%s: %s must have 1 or 2 dimensions%s, found %d", path, what,
                   images ? " (or 4: n x C x H x W images)" : "", a->ndim);
  if (n_rows > 0 && rows != n_rows)
    return js_fail(JS_EFORMAT, "%s: %s has %lld rows but the inputs have %lld samples", path,
                   what, (long long)rows, (long long)n_rows);
  return JS_OK;
}

/* Reads and checks n class ids (all of the file's, so that K is the same
 * for every shard); *n_classes = the largest id + 1. */
static int load_labels(const char *path, int64_t n, js_array **labels, int64_t *n_classes) {
  int rc = js_npy_read(path, labels);
  if (rc)
    return rc;
  js_array *a = *labels;
  if (!a->is_integer)
    return js_fail(JS_EFORMAT, "%s: labels must have an integer dtype (class ids 0..K-1)",
                   path);
  if (!(a->ndim == 1 || (a->ndim == 2 && a->shape[1] == 1)) || a->shape[0] != n)
    return js_fail(JS_EFORMAT, "%s: expected %lld labels (one per row of the inputs) as a "
                   "1-d array, found %d-d with %lld rows", path, (long long)n, a->ndim,
                   (long long)(a->ndim ? a->shape[0] : 1));
  int64_t max_label = 0;
  for (int64_t i = 0; i < n; i++) {
    if (a->ints[i] < 0 || a->ints[i] > JS_MAX_CLASS_ID)
      return js_fail(JS_EFORMAT, "%s: label %lld of sample %lld is out of range (classes "
                     "are 0..K-1)", path, (long long)a->ints[i], (long long)i);
    if (a->ints[i] > max_label)
      max_label = a->ints[i];
  }
  *n_classes = max_label + 1;
  return JS_OK;
}

/* Hands an array's values to the data set instead of copying them (both
 * come from malloc; js_dataset_free and js_array_free free what they hold). */
static void move_values(double **into, js_array *from) {
  free(*into);
  *into = from->values;
  from->values = NULL;
}

int js_dataset_npy(const char *x_path, const char *labels_path, const char *targets_path,
                   js_dataset **out) {
  return js_dataset_npy_shard(x_path, labels_path, targets_path, 0, 1, out);
}

int js_dataset_npy_shard(const char *x_path, const char *labels_path,
                         const char *targets_path, int part, int parts, js_dataset **out) {
  if (!out || !x_path)
    return js_fail(JS_EINVAL, "js_dataset_npy: %s is NULL", out ? "the inputs' path" : "out");
  *out = NULL;
  if ((labels_path != NULL) == (targets_path != NULL))
    return js_fail(JS_EINVAL, "%s needs exactly one of labels (classes) or targets (real "
                   "values)", x_path);
  js_array *x = NULL, *labels = NULL, *t = NULL;
  row_range range = {.part = part, .parts = parts, .count = -1};
  int rc = read_real_matrix(x_path, "inputs", 0, 1, &range, &x);
  if (!rc && x->ndim == 1)
    rc = js_fail(JS_EFORMAT, "%s: inputs must be a 2-d array n x d or a 4-d array "
                 "n x C x H x W", x_path);
  int64_t n = rc ? 0 : x->shape[0], d = n > 0 ? x->size / n : 0, k = 1;
  int64_t first = range.count < 0 ? 0 : range.first;
  if (!rc && (n < 1 || d < 1))
    rc = js_fail(JS_EFORMAT, "%s: inputs are empty (%lld x %lld)", x_path, (long long)n,
                 (long long)d);
  if (!rc)
    rc = labels_path ? load_labels(labels_path, range.total, &labels, &k)
                     : read_real_matrix(targets_path, "targets", range.total, 0, &range, &t);
  if (!rc && t)
    k = t->ndim == 2 ? t->shape[1] : 1;
  if (!rc)
    rc = js_dataset_create(n, d, k, labels != NULL, out);
  if (!rc) {
    if (x->ndim == 4)
      (*out)->shape = (js_shape){3, {x->shape[1], x->shape[2], x->shape[3]}};
    move_values(&(*out)->x, x);
    if (t)
      move_values(&(*out)->y, t);
    for (int64_t i = 0; labels && i < n; i++)
      (*out)->labels[i] = (int32_t)labels->ints[first + i];
    if (range.count >= 0) {
      (*out)->first_sample = first;
      (*out)->total_samples = range.total;
    }
    if (labels)
      rc = js_dataset_one_hot(*out);
  }
  if (rc) {
    js_dataset_free(*out);
    *out = NULL;
  }
  js_array_free(x);
  js_array_free(labels);
  js_array_free(t);
  return rc;
}

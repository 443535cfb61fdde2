#include "data/classes.h"

#include "core/error.h"

#include <stdlib.h>

void js_idx_options_init_defaults(js_idx_options *opt) {
  opt->classes = NULL;
  opt->n_classes = 0;
  opt->per_class = 0;
  opt->part = 0;
  opt->parts = 0;
}

int js_select_classes(const int32_t *labels, int64_t n, const js_idx_options *opt,
                      const char *what, int64_t **keep, int32_t **new_labels,
                      int64_t *n_kept, int64_t *n_classes) {
  js_idx_options all;
  js_idx_options_init_defaults(&all);
  if (!opt)
    opt = &all;
  *keep = NULL;
  *new_labels = NULL;
  int64_t *count = NULL, *taken = NULL, *kept = NULL;
  int32_t *relabel = NULL, *kept_labels = NULL;
  int rc = JS_OK;
  if (n < 1 || opt->n_classes < 0 || (opt->classes == NULL) != (opt->n_classes == 0) ||
      opt->per_class < 0) {
    rc = js_fail(JS_EINVAL, "%s: no samples, or invalid class options (%d classes listed, "
                 "%lld per class)", what, opt->n_classes, (long long)opt->per_class);
    goto done;
  }
  int32_t max_label = 0;
  for (int64_t i = 0; i < n; i++) {
    if (labels[i] < 0) {
      rc = js_fail(JS_EFORMAT, "%s: label %d of record %lld is negative", what,
                   (int)labels[i], (long long)i);
      goto done;
    }
    if (labels[i] > max_label)
      max_label = labels[i];
  }
  size_t n_ids = (size_t)max_label + 1;
  int64_t k = opt->classes ? opt->n_classes : (int64_t)n_ids;
  count = js_alloc(n_ids, sizeof *count, "class counts");
  relabel = js_alloc(n_ids, sizeof *relabel, "class map");
  taken = js_alloc((size_t)k, sizeof *taken, "class counts");
  if (!count || !relabel || !taken) {
    rc = JS_ENOMEM;
    goto done;
  }
  for (int64_t i = 0; i < n; i++)
    count[labels[i]]++;
  for (size_t c = 0; c < n_ids; c++)
    relabel[c] = opt->classes ? -1 : (int32_t)c;
  for (int j = 0; opt->classes && j < opt->n_classes; j++) {
    int32_t c = opt->classes[j];
    if (c < 0 || c > max_label || count[c] == 0) {
      rc = js_fail(JS_EINVAL, "%s: class %d does not occur (its labels are 0..%d)", what,
                   (int)c, (int)max_label);
      goto done;
    }
    if (relabel[c] >= 0) {
      rc = js_fail(JS_EINVAL, "%s: class %d is asked for twice", what, (int)c);
      goto done;
    }
    relabel[c] = j;
  }
  int64_t total = 0;
  for (size_t c = 0; c < n_ids; c++) {
    if (relabel[c] < 0)
      continue;
    if (count[c] < opt->per_class) {
      rc = js_fail(JS_EINVAL, "%s: class %d holds %lld samples, fewer than the %lld per class "
                   "asked for", what, (int)c, (long long)count[c], (long long)opt->per_class);
      goto done;
    }
    total += opt->per_class ? opt->per_class : count[c];
  }
  kept = js_alloc((size_t)total, sizeof *kept, "kept samples");
  kept_labels = js_alloc((size_t)total, sizeof *kept_labels, "kept labels");
  if (!kept || !kept_labels) {
    rc = JS_ENOMEM;
    goto done;
  }
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    int32_t j = relabel[labels[i]];
    if (j < 0 || (opt->per_class && taken[j] == opt->per_class))
      continue;
    taken[j]++;
    kept[m] = i;
    kept_labels[m++] = j;
  }
  *keep = kept;
  *new_labels = kept_labels;
  *n_kept = total;
  *n_classes = k;
  kept = NULL;
  kept_labels = NULL;
done:
  free(count);
  free(relabel);
  free(taken);
  free(kept);
  free(kept_labels);
  return rc;
}

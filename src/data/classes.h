/* Picking the samples of some classes (js_idx_options) from a label list,
 * before any pixel is converted, so a few classes of a large file cost
 * only their own memory. */
#ifndef JS_DATA_CLASSES_H
#define JS_DATA_CLASSES_H

#include "jacspec.h"

/* labels: n class ids >= 0, read from `what` (named in messages).
 * On success *keep (caller frees) holds the *n_kept kept sample indices in
 * file order, *new_labels (caller frees) their ids relabelled 0..K-1 in the
 * order of opt->classes, and *n_classes = K. opt may be NULL (keep all,
 * K = max label + 1). JS_EINVAL for a class id that does not occur, a
 * repeated id, or per_class larger than a kept class holds. */
int js_select_classes(const int32_t *labels, int64_t n, const js_idx_options *opt,
                      const char *what, int64_t **keep, int32_t **new_labels,
                      int64_t *n_kept, int64_t *n_classes);

#endif

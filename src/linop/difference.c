/* The difference A - B of two operators, for the distance between two
 * Jacobians (js_train's ||J(theta_t) - J(theta_0)||_2, the adaptation of
 * the paper's Tables 1-3) by the same solver as any other operator. On a
 * shard each product takes both operators' local parts, so the
 * difference's own transposed product sums A^T y - B^T y over the ranks
 * once. */
#include "linop/linop.h"

#include "core/comm.h"
#include "core/error.h"

#include <stdlib.h>

typedef struct difference {
  js_linop *a, *b;   /* borrowed */
  double *scratch;   /* B's product: rows or cols x `vectors` */
  int64_t vectors;   /* blocks of up to this many vectors fit the scratch */
} difference;

static int difference_apply(void *ctx, int transpose, int64_t n_vectors, const double *in,
                            double *out) {
  difference *d = ctx;
  int64_t len = transpose ? js_linop_cols(d->a) : js_linop_rows(d->a);
  if (n_vectors > d->vectors) {
    int64_t most = js_linop_rows(d->a) > js_linop_cols(d->a) ? js_linop_rows(d->a)
                                                             : js_linop_cols(d->a);
    double *grown = js_realloc(d->scratch, (size_t)(most * n_vectors), sizeof(double),
                               "operator difference");
    if (!grown)
      return JS_ENOMEM;
    d->scratch = grown;
    d->vectors = n_vectors;
  }
  int status = js_linop_apply_local(d->a, transpose, n_vectors, in, out);
  if (!status)
    status = js_linop_apply_local(d->b, transpose, n_vectors, in, d->scratch);
  for (int64_t i = 0; !status && i < len * n_vectors; i++)
    out[i] -= d->scratch[i];
  return status;
}

static void difference_free(void *ctx) {
  difference *d = ctx;
  if (d)
    free(d->scratch);
  free(d);
}

int js_linop_difference(js_linop *a, js_linop *b, js_linop **out) {
  if (!a || !b || !out)
    return js_fail(JS_EINVAL, "operator difference: NULL %s", !a || !b ? "operator"
                                                                        : "output pointer");
  *out = NULL;
  if (js_linop_rows(a) != js_linop_rows(b) || js_linop_cols(a) != js_linop_cols(b) ||
      js_linop_comm(a) != js_linop_comm(b) ||
      js_linop_row_offset(a) != js_linop_row_offset(b) ||
      js_linop_global_rows(a) != js_linop_global_rows(b))
    return js_fail(JS_EINVAL, "operator difference: %lld x %lld (rows %lld.. of %lld) and "
                   "%lld x %lld (rows %lld.. of %lld) differ", (long long)js_linop_rows(a),
                   (long long)js_linop_cols(a), (long long)js_linop_row_offset(a),
                   (long long)js_linop_global_rows(a), (long long)js_linop_rows(b),
                   (long long)js_linop_cols(b), (long long)js_linop_row_offset(b),
                   (long long)js_linop_global_rows(b));
  difference *d = js_alloc(1, sizeof *d, "operator difference");
  if (!d)
    return JS_ENOMEM;
  *d = (difference){.a = a, .b = b};
  int status = js_linop_create(js_linop_rows(a), js_linop_cols(a), difference_apply, d, out);
  if (status) {
    free(d);
    return status;
  }
  js_linop_set_ctx_free(*out, difference_free);
  const js_comm *comm = js_linop_comm(a);
  status = js_comm_distributed(comm) ? js_linop_set_shard(*out, comm, js_linop_row_offset(a),
                                                          js_linop_global_rows(a))
                                     : JS_OK;
  if (status) {
    js_linop_free(*out);
    *out = NULL;
  }
  return status;
}

/* Internal extension of the operator: operators built inside the library
 * (the Jacobian) own a context that js_linop_free must release. The public
 * js_linop_create leaves the context to its caller, as before. */
#ifndef JS_LINOP_LINOP_H
#define JS_LINOP_LINOP_H

#include "jacspec.h"

/* js_linop_free(op) will call free_ctx(ctx) (free_ctx may be NULL). */
void js_linop_set_ctx_free(js_linop *op, void (*free_ctx)(void *ctx));

/* op's ctx when op was created with this callback, else NULL: how the
 * library recognises its own operators (the explicit Gram asks whether an
 * operator is a network's Jacobian). */
void *js_linop_ctx_of(const js_linop *op, js_apply_fn apply);

/* The callback's product alone (counted like js_linop_apply): for a
 * distributed operator this rank's part, A^T y without the sum over the
 * ranks and the status not agreed. For operators built from other
 * operators, whose own product then sums (or agrees) once. */
int js_linop_apply_local(js_linop *op, int transpose, int64_t n_vectors, const double *in,
                         double *out);

/* *out = A - B for operators of the same size and rows (the same shard, or
 * neither distributed), both borrowed: (A - B) x = A x - B x, (A - B)^T y =
 * A^T y - B^T y. It holds a scratch of B's product, grown to the largest
 * block asked for. JS_EINVAL when the sizes or shards differ; JS_ENOMEM. */
int js_linop_difference(js_linop *a, js_linop *b, js_linop **out);

#endif

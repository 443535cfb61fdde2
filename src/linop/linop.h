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

#endif

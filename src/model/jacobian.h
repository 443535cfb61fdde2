/* What the explicit Gram (gram.c) reads of a Jacobian made by
 * js_jacobian_create: its graph's schedule, its parameter snapshot and its
 * forward data, batch by batch, from the cache when it has one. */
#ifndef JS_MODEL_JACOBIAN_H
#define JS_MODEL_JACOBIAN_H

#include "model/exec.h"

typedef struct js_jacobian js_jacobian;

/* The Jacobian behind op, or NULL when op was not made by
 * js_jacobian_create. */
js_jacobian *js_jacobian_of(const js_linop *op);
const js_schedule *js_jacobian_schedule(const js_jacobian *jac);
/* The parameter values (net layout) in the products' type. */
const void *js_jacobian_values(const js_jacobian *jac);
int64_t js_jacobian_samples(const js_jacobian *jac); /* n */

/* Called for samples i0 .. i0 + nb - 1 with e->value[i] set for the kept
 * nodes and e->saved[i] for the ops that keep something (schedule.h), in
 * the products' type; returns a status (non-zero stops the walk). */
typedef int (*js_batch_fn)(void *ctx, const js_exec *e, int64_t i0, int64_t nb);
/* fn on every batch in order, as a product would see them (the forward
 * pass run or the cache read, and filled on the way). */
int js_jacobian_each_batch(js_jacobian *jac, js_batch_fn fn, void *ctx);

/* op (made by js_jacobian_create_outputs, double or single precision, no
 * comm, not of a mixed pair) becomes the Jacobian at theta (NULL: the
 * network's values) on data (as many samples as before, of the same size;
 * borrowed like the first), its buffers kept; f (may be NULL) as in
 * js_jacobian_create_outputs. JS_EINVAL for any other op or data. */
int js_jacobian_reaim(js_linop *op, const double *theta, const js_dataset *data, double *f);
/* 1 when js_jacobian_reaim can take op (data aside), else 0. */
int js_jacobian_can_reaim(const js_linop *op);

#endif

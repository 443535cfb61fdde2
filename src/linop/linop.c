/* The matrix-free operator: the seam between whatever computes J x and
 * J^T y (a network's Jacobian, a user's model, an explicit matrix in tests)
 * and everything that uses them (solver, spaces, training). */
#include "linop/linop.h"

#include "core/error.h"

#include <stdlib.h>

struct js_linop {
  int64_t rows, cols;
  js_apply_fn apply;
  void *ctx;
  void (*free_ctx)(void *ctx); /* NULL unless the library owns ctx */
  int64_t n_apply, n_apply_t; /* single-vector products so far */
};

int js_linop_create(int64_t rows, int64_t cols, js_apply_fn apply, void *ctx,
                    js_linop **out) {
  if (!out)
    return js_fail(JS_EINVAL, "js_linop_create: output pointer is NULL");
  *out = NULL;
  if (rows < 1 || cols < 1)
    return js_fail(JS_EINVAL, "operator size %lld x %lld: both must be >= 1",
                   (long long)rows, (long long)cols);
  if (!apply)
    return js_fail(JS_EINVAL, "operator: apply callback is NULL");
  js_linop *op = js_alloc(1, sizeof *op, "operator");
  if (!op)
    return JS_ENOMEM;
  op->rows = rows;
  op->cols = cols;
  op->apply = apply;
  op->ctx = ctx;
  *out = op;
  return JS_OK;
}

void js_linop_set_ctx_free(js_linop *op, void (*free_ctx)(void *ctx)) {
  op->free_ctx = free_ctx;
}

void js_linop_free(js_linop *op) {
  if (op && op->free_ctx)
    op->free_ctx(op->ctx);
  free(op);
}

int64_t js_linop_rows(const js_linop *op) { return op->rows; }
int64_t js_linop_cols(const js_linop *op) { return op->cols; }

int js_linop_apply(js_linop *op, int64_t n_vectors, const double *x, double *y) {
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "operator apply: %lld vectors", (long long)n_vectors);
  op->n_apply += n_vectors;
  return op->apply(op->ctx, 0, n_vectors, x, y);
}

int js_linop_apply_t(js_linop *op, int64_t n_vectors, const double *y, double *x) {
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "operator apply_t: %lld vectors", (long long)n_vectors);
  op->n_apply_t += n_vectors;
  return op->apply(op->ctx, 1, n_vectors, y, x);
}

int64_t js_linop_apply_count(const js_linop *op) { return op->n_apply; }
int64_t js_linop_apply_t_count(const js_linop *op) { return op->n_apply_t; }

void js_linop_reset_counts(js_linop *op) {
  op->n_apply = 0;
  op->n_apply_t = 0;
}

/* The matrix-free operator: the seam between whatever computes J x and
 * J^T y (a network's Jacobian, a user's model, an explicit matrix in tests)
 * and everything that uses them (solver, spaces, training). */
#include "linop/linop.h"

#include "core/comm.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

struct js_linop {
  int64_t rows, cols;
  js_apply_fn apply;
  void *ctx;
  void (*free_ctx)(void *ctx); /* NULL unless the library owns ctx */
  int64_t n_apply, n_apply_t; /* single-vector products so far */
  /* A shard (js_linop_set_shard): rows row_offset.. of global_rows. */
  const js_comm *comm;
  int64_t row_offset, global_rows;
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
  op->comm = js_comm_serial();
  op->global_rows = rows;
  *out = op;
  return JS_OK;
}

void js_linop_set_ctx_free(js_linop *op, void (*free_ctx)(void *ctx)) {
  op->free_ctx = free_ctx;
}

void *js_linop_ctx_of(const js_linop *op, js_apply_fn apply) {
  return op && op->apply == apply ? op->ctx : NULL;
}

void js_linop_free(js_linop *op) {
  if (op && op->free_ctx)
    op->free_ctx(op->ctx);
  free(op);
}

int64_t js_linop_rows(const js_linop *op) { return op->rows; }
int64_t js_linop_cols(const js_linop *op) { return op->cols; }

int js_linop_set_shard(js_linop *op, const js_comm *comm, int64_t row_offset,
                       int64_t global_rows) {
  if (!op || !comm || !comm->sum || !comm->max || !comm->broadcast)
    return js_fail(JS_EINVAL, "js_linop_set_shard: NULL operator, comm or comm callback");
  double rows = (double)op->rows; /* exact: sizes stay far below 2^53 */
  int status = js_comm_sum(comm, &rows, 1);
  if (status == JS_OK && (row_offset < 0 || row_offset + op->rows > global_rows ||
                          rows != (double)global_rows))
    status = js_fail(JS_EINVAL, "operator shard: rank %d holds rows %lld..%lld and the %d "
                     "ranks %.0f rows, of %lld in all", comm->rank, (long long)row_offset,
                     (long long)(row_offset + op->rows - 1), comm->size, rows,
                     (long long)global_rows);
  if ((status = js_comm_agree(comm, status)))
    return status;
  op->comm = comm;
  op->row_offset = row_offset;
  op->global_rows = global_rows;
  return JS_OK;
}

int64_t js_linop_global_rows(const js_linop *op) { return op->global_rows; }
int64_t js_linop_row_offset(const js_linop *op) { return op->row_offset; }
const js_comm *js_linop_comm(const js_linop *op) { return op->comm; }

int js_linop_apply(js_linop *op, int64_t n_vectors, const double *x, double *y) {
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "operator apply: %lld vectors", (long long)n_vectors);
  op->n_apply += n_vectors;
  /* Local rows, but the status is agreed: a rank that fails here would
   * otherwise leave the others waiting in the next reduction. */
  return js_comm_agree(op->comm, op->apply(op->ctx, 0, n_vectors, x, y));
}

int js_linop_apply_t(js_linop *op, int64_t n_vectors, const double *y, double *x) {
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "operator apply_t: %lld vectors", (long long)n_vectors);
  op->n_apply_t += n_vectors;
  int status = op->apply(op->ctx, 1, n_vectors, y, x);
  if (!js_comm_distributed(op->comm))
    return status;
  /* Every rank takes part in the sum even when its own product failed
   * (its share is then NaN), so no rank waits for it; then they agree. */
  int64_t n = op->cols * n_vectors;
  if (status && x)
    for (int64_t i = 0; i < n; i++)
      x[i] = NAN;
  int summed = x ? js_comm_sum(op->comm, x, n) : JS_OK;
  return js_comm_agree(op->comm, status ? status : summed);
}

int js_linop_apply_local(js_linop *op, int transpose, int64_t n_vectors, const double *in,
                         double *out) {
  if (n_vectors < 1)
    return js_fail(JS_EINVAL, "operator apply: %lld vectors", (long long)n_vectors);
  *(transpose ? &op->n_apply_t : &op->n_apply) += n_vectors;
  return op->apply(op->ctx, transpose, n_vectors, in, out);
}

int64_t js_linop_apply_count(const js_linop *op) { return op->n_apply; }
int64_t js_linop_apply_t_count(const js_linop *op) { return op->n_apply_t; }

void js_linop_reset_counts(js_linop *op) {
  op->n_apply = 0;
  op->n_apply_t = 0;
}

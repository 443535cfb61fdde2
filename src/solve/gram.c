/* The Gram operator of one side of J, applied through the linop. */
#include "solve/gram.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "core/rng.h"
#include "solve/svds.h"

#include <math.h>
#include <stdlib.h>

js_side js_gram_side_of(int64_t rows, int64_t cols, js_side side) {
  if (side != JS_SIDE_AUTO)
    return side;
  return rows <= cols ? JS_SIDE_OUTPUTS : JS_SIDE_PARAMS;
}

js_side js_gram_side(const js_linop *op, js_side side) {
  return js_gram_side_of(js_linop_global_rows(op), js_linop_cols(op), side);
}

int js_gram_init_block(js_gram *g, js_linop *op, js_side side, int64_t block) {
  g->op = op;
  g->side = js_gram_side(op, side);
  int outputs = g->side == JS_SIDE_OUTPUTS;
  g->n = outputs ? js_linop_rows(op) : js_linop_cols(op);
  g->m = outputs ? js_linop_cols(op) : js_linop_rows(op);
  g->comm = outputs ? js_linop_comm(op) : js_comm_serial();
  g->other_comm = outputs ? js_comm_serial() : js_linop_comm(op);
  g->offset = outputs ? js_linop_row_offset(op) : 0;
  g->n_global = outputs ? js_linop_global_rows(op) : g->n;
  g->block = block;
  g->explicit_g = NULL;
  g->scratch = js_alloc((size_t)g->m * (size_t)block, sizeof(double),
                        "Gram operator scratch");
  return js_comm_agree(js_linop_comm(op), g->scratch ? JS_OK : JS_ENOMEM);
}

int js_gram_init(js_gram *g, js_linop *op, js_side side) {
  return js_gram_init_block(g, op, side, 1);
}

void js_gram_free(js_gram *g) {
  free(g->scratch);
  g->scratch = NULL;
}

/* z = J x (params side's first step) or J^T x (outputs side's), b vectors. */
static int half(js_gram *g, int first, int64_t b, const double *x, double *z) {
  int transpose = (g->side == JS_SIDE_OUTPUTS) == first;
  return transpose ? js_linop_apply_t(g->op, b, x, z) : js_linop_apply(g->op, b, x, z);
}

int js_gram_use_explicit(js_gram *g, js_linop *gram) {
  if (!gram)
    return JS_OK;
  int64_t rows = js_linop_rows(g->op);
  if (g->side != JS_SIDE_OUTPUTS || js_linop_rows(gram) != rows ||
      js_linop_cols(gram) != rows)
    return js_fail(JS_EINVAL, "explicit Gram: it is J J^T (the outputs side, %lld x %lld), "
                   "and %s", (long long)rows, (long long)rows,
                   g->side != JS_SIDE_OUTPUTS ? "the solve is on the params side (J^T J)"
                                              : "the operator given has another size");
  g->explicit_g = gram;
  return JS_OK;
}

int js_gram_apply_block(js_gram *g, int64_t b, const double *x, double *y) {
  int status = g->explicit_g ? js_linop_apply(g->explicit_g, b, x, y)
                             : half(g, 1, b, x, g->scratch);
  if (status == JS_OK && !g->explicit_g)
    status = half(g, 0, b, g->scratch, y);
  if (status == JS_OK)
    status = js_svds_check_finite(y, g->n * b, "a Gram product J J^T x or J^T J x");
  return js_comm_agree(g->comm, status);
}

void js_gram_draw(const js_gram *g, uint64_t seed, int sign, double *x) {
  for (int64_t i = 0; i < g->n; i++) {
    uint64_t index = (uint64_t)(g->offset + i);
    x[i] = sign ? js_rng_sign_at(seed, index) : js_rng_normal_at(seed, index);
  }
}

int js_gram_apply(js_gram *g, const double *x, double *y) {
  return js_gram_apply_block(g, 1, x, y);
}

int js_gram_other_side(js_gram *g, int64_t k, const double *x, double *y, double *norm) {
  int status = half(g, 1, k, x, y);
  if (status)
    return status;
  /* Dividing by ||J^T u_s|| rather than by lambda_s: equal for an exact
   * triplet, and the result stays a unit vector when lambda_s is small and
   * its Gram eigenvalue lambda_s^2 carries a large relative error. An exact
   * zero (lambda_s = 0 in a rank-deficient J) leaves y_s = 0. */
  for (int64_t s = 0; s < k; s++) {
    norm[s] = js_comm_nrm2(g->other_comm, g->m, y + s * g->m);
    if (norm[s] > 0)
      js_scal(g->m, 1.0 / norm[s], y + s * g->m);
  }
  return JS_OK;
}

int js_gram_explicit_side(js_gram *g, int64_t k, const double *x, double *gx, double *y,
                          double *norm, uint64_t seed, double *check) {
  int status = js_linop_apply(g->explicit_g, k, x, gx);
  if (status == JS_OK && y)
    status = js_gram_other_side(g, k, x, y, norm);
  if (status)
    return status;
  /* ||J^T u_s||^2 = u_s^T G u_s: rounding of about eps lambda_1^2 in it,
   * the Gram side's own error (js_svds_result). */
  for (int64_t s = 0; !y && s < k; s++) {
    double squared = js_dot(g->n, x + s * g->n, gx + s * g->n);
    norm[s] = sqrt(squared > 0 ? squared : 0.0);
  }
  /* G against J (J^T z) on a Gaussian z (Freivalds' check): a wrong entry
   * of G shows whatever the subspace Lanczos found. */
  double *z = js_alloc(2 * (size_t)g->n, sizeof(double), "explicit Gram check");
  if (!z)
    return JS_ENOMEM;
  double *gz = z + g->n;
  js_gram_draw(g, seed, 0, z);
  if ((status = js_linop_apply(g->explicit_g, 1, z, gz)) == JS_OK &&
      (status = half(g, 1, 1, z, g->scratch)) == JS_OK &&
      (status = half(g, 0, 1, g->scratch, z)) == JS_OK) {
    double size = js_nrm2(g->n, gz);
    js_axpy(g->n, -1.0, gz, z);
    double difference = js_nrm2(g->n, z);
    *check = size > 0 ? difference / size : difference;
  }
  free(z);
  return status;
}

/* The singular-triplet result and the measurements every solve ends with:
 * residuals of each triplet (doc/DESIGN.md section 3), product counts, time. */
#include "solve/svds.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void js_svds_result_free(js_svds_result *res) {
  if (!res)
    return;
  free(res->sigma);
  free(res->u);
  free(res->v);
  free(res->residual_u);
  free(res->residual_v);
  free(res->error_bound);
  free(res);
}

int js_svds_result_alloc(const js_linop *op, int64_t capacity, js_side side,
                         js_svds_result **out) {
  int64_t rows = js_linop_rows(op), cols = js_linop_cols(op);
  js_svds_result *res = js_alloc(1, sizeof *res, "svds result");
  if (!res)
    return JS_ENOMEM;
  res->rows = js_linop_global_rows(op);
  res->local_rows = rows;
  res->row_offset = js_linop_row_offset(op);
  res->comm = js_linop_comm(op);
  res->cols = cols;
  res->side = side;
  res->requested = capacity;
  size_t k = (size_t)capacity;
  res->sigma = js_alloc(k, sizeof(double), "singular values");
  res->residual_u = js_alloc(k, sizeof(double), "residuals");
  res->residual_v = js_alloc(k, sizeof(double), "residuals");
  res->error_bound = js_alloc(k, sizeof(double), "error bounds");
  res->u = js_alloc((size_t)rows * k, sizeof(double), "left singular vectors");
  res->v = js_alloc((size_t)cols * k, sizeof(double), "right singular vectors");
  if (!res->sigma || !res->residual_u || !res->residual_v || !res->error_bound || !res->u ||
      !res->v) {
    js_svds_result_free(res);
    return JS_ENOMEM;
  }
  for (size_t s = 0; s < k; s++)
    res->error_bound[s] = NAN; /* until a refinement bounds them */
  res->max_error_bound = NAN;
  res->gram_check = NAN;
  *out = res;
  return JS_OK;
}

int js_svds_check_cutoff(const js_svds_result *res, double cutoff) {
  if (res->rank > 0 && res->sigma[0] <= cutoff)
    return js_fail(JS_EINVAL,
                   "svds: cut-off alpha = %g is above the largest singular value "
                   "lambda_1 = %.6g",
                   cutoff, res->sigma[0]);
  return JS_OK;
}

void js_svds_keep_above(js_svds_result *res, double cutoff) {
  while (res->rank > 0 && res->sigma[res->rank - 1] <= cutoff)
    res->rank--;
}

int js_svds_check_finite(const double *x, int64_t n, const char *what) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return js_fail(JS_ENUMERIC, "svds: %s holds %g at entry %lld", what, x[i],
                     (long long)i);
  return JS_OK;
}

void js_svds_meter_start(js_svds_meter *meter, const js_linop *op) {
  meter->n_apply = js_linop_apply_count(op);
  meter->n_apply_t = js_linop_apply_t_count(op);
  clock_gettime(CLOCK_MONOTONIC, &meter->start);
}

void js_svds_meter_read(const js_svds_meter *meter, const js_linop *op, int64_t *n_apply,
                        int64_t *n_apply_t, double *seconds) {
  *n_apply = js_linop_apply_count(op) - meter->n_apply;
  *n_apply_t = js_linop_apply_t_count(op) - meter->n_apply_t;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  *seconds = (double)(now.tv_sec - meter->start.tv_sec) +
             1e-9 * (double)(now.tv_nsec - meter->start.tv_nsec);
}

/* residual[s] = ||a_s - sigma_s b_s|| / lambda_1 for the columns of the
 * products a (m x k, overwritten) and the vectors b (m x k), their norms
 * over comm's ranks (the rows side of a distributed J). */
static void relative_residuals(const js_comm *comm, double *residual, double *a,
                               const double *b, const double *sigma, double scale, int64_t m,
                               int64_t k) {
  for (int64_t s = 0; s < k; s++) {
    js_axpy(m, -sigma[s], b + s * m, a + s * m);
    residual[s] = js_comm_nrm2(comm, m, a + s * m) / scale;
  }
}

/* Both residuals of every triplet, ||J v_s - lambda_s u_s|| and
 * ||J^T u_s - lambda_s v_s|| over lambda_1. With other_norm NULL each
 * comes from one block product. Otherwise (the Gram side) one side's
 * vectors were made from the other's, y_s = J^T u_s / ||J^T u_s|| or
 * J v_s / ||J v_s||, with other_norm[s] = ||J^T u_s|| or ||J v_s||: that
 * residual is |other_norm[s] - lambda_s| exactly (the product is
 * other_norm[s] y_s), and one block product, on the side the solver worked
 * on, gives the residual that measures the triplet, or, given gram_u = G U
 * (the explicit G, outputs side; overwritten), J v_s = G u_s /
 * ||J^T u_s|| does with no product. */
static int residuals(js_linop *op, const double *other_norm, double *gram_u,
                     js_svds_result *res) {
  int64_t k = res->rank, rows = res->local_rows, cols = res->cols;
  if (k == 0)
    return JS_OK;
  double scale = res->scale > 0 ? res->scale : 1.0;
  /* J v_s = G u_s / ||J^T u_s||, scaled before `known` (which other_norm
   * may be) takes the residuals in place of the norms. */
  for (int64_t s = 0; gram_u && s < k; s++)
    js_scal(rows, other_norm[s] > 0 ? 1.0 / other_norm[s] : 0.0, gram_u + s * rows);
  int outputs = res->side == JS_SIDE_OUTPUTS;
  int apply = !gram_u && (!other_norm || outputs);
  int apply_t = !other_norm || !outputs;
  double *known = !other_norm ? NULL : outputs ? res->residual_v : res->residual_u;
  for (int64_t s = 0; known && s < k; s++)
    known[s] = fabs(other_norm[s] - res->sigma[s]) / scale;
  if (gram_u)
    relative_residuals(res->comm, res->residual_u, gram_u, res->u, res->sigma, scale, rows,
                       k);
  int status = JS_ENOMEM;
  double *jv = apply ? js_alloc((size_t)rows * (size_t)k, sizeof(double), "residuals (J V)")
                     : NULL;
  double *jtu = apply_t ? js_alloc((size_t)cols * (size_t)k, sizeof(double),
                                   "residuals (J^T U)")
                        : NULL;
  if ((status = js_comm_agree(res->comm, (jv || !apply) && (jtu || !apply_t) ? JS_OK
                                                                             : JS_ENOMEM)))
    goto done;
  if ((apply && (status = js_linop_apply(op, k, res->v, jv))) ||
      (apply_t && (status = js_linop_apply_t(op, k, res->u, jtu))))
    goto done;
  if (apply)
    relative_residuals(res->comm, res->residual_u, jv, res->u, res->sigma, scale, rows, k);
  if (apply_t)
    relative_residuals(NULL, res->residual_v, jtu, res->v, res->sigma, scale, cols, k);
done:
  free(jv);
  free(jtu);
  return status;
}

/* A triplet this far from satisfying J v = sigma u, J^T u = sigma v is no
 * triplet: on the Gram side a zero eigenvalue's u = J v / ||J v|| is
 * rounding noise. */
#define RANK_RESIDUAL 1e-6

/* The numerical rank of the top r (jacspec.h, js_svds_result): the first
 * triplet that is zero to working precision ends the nonzero ones. */
static void numerical_rank(js_svds_result *res) {
  res->numerical_rank = -1;
  res->rank_gap = NAN;
  if (res->smallest)
    return;
  double zero = (double)(res->rows > res->cols ? res->rows : res->cols) * DBL_EPSILON *
                res->scale;
  /* A refinement's pairs are Rayleigh-Ritz pairs of J itself, as accurate
   * as its bounds say whatever their residuals: only sigma tells a zero. */
  int64_t rho = 0;
  while (rho < res->rank && res->sigma[rho] > zero &&
         (res->refined || fmax(res->residual_u[rho], res->residual_v[rho]) <= RANK_RESIDUAL))
    rho++;
  if (rho == res->rank && res->scale > 0)
    return;
  res->numerical_rank = rho;
  if (rho > 0 && rho < res->rank)
    res->rank_gap = res->sigma[rho] > 0 ? res->sigma[rho - 1] / res->sigma[rho] : INFINITY;
  res->rank = rho;
}

int js_svds_finish(js_linop *op, const js_svds_options *opt, const js_svds_meter *meter,
                   const double *other_norm, double *gram_u, js_svds_result *res) {
  res->smallest = opt->smallest;
  if (!opt->smallest) /* else the solve set lambda_1 */
    res->scale = res->rank > 0 ? res->sigma[0] : 0.0;
  /* A refinement measured its residuals (solve/refine.h). */
  int status = res->refined ? JS_OK : residuals(op, other_norm, gram_u, res);
  if (status)
    return status;
  numerical_rank(res);
  js_svds_meter_read(meter, op, &res->n_apply, &res->n_apply_t, &res->seconds);
  if (opt->want_vectors != JS_VECTORS_ALL) {
    free(res->v);
    res->v = NULL;
  }
  if (opt->want_vectors == JS_VECTORS_NONE) {
    free(res->u);
    res->u = NULL;
  }
  return JS_OK;
}

int js_svds_delocalization(const js_svds_result *res, double *out) {
  if (!res || !out || !res->u)
    return js_fail(JS_EINVAL, "svds: delocalization needs a result with vectors");
  /* A distributed result holds local_rows of each u_s: the largest entry
   * is the maximum over the ranks (of non-negative doubles, which order as
   * their bits). Collective then. */
  int64_t local = res->local_rows;
  int64_t *bits = js_alloc((size_t)res->rank + 1, sizeof *bits, "svds: delocalization");
  int status = js_comm_agree(res->comm, bits ? JS_OK : JS_ENOMEM);
  if (status) {
    free(bits);
    return status;
  }
  for (int64_t s = 0; s < res->rank; s++) {
    double largest = 0;
    for (int64_t i = 0; i < local; i++)
      largest = fmax(largest, fabs(res->u[s * local + i]));
    memcpy(&bits[s], &largest, sizeof largest);
  }
  status = js_comm_max(res->comm, bits, res->rank);
  for (int64_t s = 0; s < res->rank && !status; s++) {
    double largest;
    memcpy(&largest, &bits[s], sizeof largest);
    out[s] = largest * sqrt((double)res->rows);
  }
  free(bits);
  return status;
}

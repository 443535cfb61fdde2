/* The information space of J (paper Definition 2.1): the top r singular
 * triplets, the projection Pi_I and the Table 1 metrics of a vector.
 *
 * Letters: m = nK (rows of J), p (columns), r (rank of I). u is m x r and
 * v is p x r, column after column, as in js_svds_result. With a
 * distributed J, m is this rank's rows and the sums over them (U^T z,
 * ||z||) run over the result's comm. */
#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct js_space {
  int64_t rank, rows, cols; /* r, m (local rows), p */
  const js_comm *comm;      /* the ranks the rows are split over */
  double *sigma;            /* r */
  double *u;                /* m x r */
  double *v;                /* p x r */
};

/* r from the arguments of js_space_create, checked against res. */
static int select_rank(const js_svds_result *res, int64_t rank, double cutoff,
                       int64_t *r) {
  int64_t min_dim = res->rows < res->cols ? res->rows : res->cols;
  if ((rank > 0) == (cutoff > 0))
    return js_fail(JS_EINVAL, "space: give either a rank or a cut-off > 0 (rank %lld, "
                   "cut-off %g)", (long long)rank, cutoff);
  if (rank > 0) {
    if (rank >= min_dim)
      return js_fail(JS_EINVAL, "space: rank %lld must be below min(nK, p) = %lld",
                     (long long)rank, (long long)min_dim);
    if (rank > res->rank)
      return js_fail(JS_EINVAL, "space: rank %lld, but the solver result holds only "
                     "%lld triplets", (long long)rank, (long long)res->rank);
    *r = rank;
    return JS_OK;
  }
  if (!isfinite(cutoff) || res->rank < 1 || cutoff >= res->sigma[0])
    return js_fail(JS_EINVAL, "space: cut-off %g must be finite and below lambda_1 = %g",
                   cutoff, res->rank ? res->sigma[0] : 0.0);
  /* c(alpha): the number of singular values above the cut-off. */
  *r = 0;
  while (*r < res->rank && res->sigma[*r] > cutoff)
    (*r)++;
  return JS_OK;
}

int js_space_create(const js_svds_result *res, int64_t rank, double cutoff,
                    js_space **out) {
  if (!out)
    return js_fail(JS_EINVAL, "space: the output pointer is NULL");
  *out = NULL;
  if (!res || !res->u || !res->v)
    return js_fail(JS_EINVAL, "space: the solver result %s", res ? "lacks u or v "
                   "(set want_vectors to JS_VECTORS_ALL)" : "is NULL");
  int64_t r = 0;
  int status = select_rank(res, rank, cutoff, &r);
  if (status)
    return status;
  js_space *sp = js_alloc(1, sizeof *sp, "space");
  if (!sp)
    return JS_ENOMEM;
  sp->rank = r;
  sp->rows = res->local_rows;
  sp->cols = res->cols;
  sp->comm = res->comm;
  sp->sigma = js_alloc((size_t)r, sizeof(double), "space: singular values");
  sp->u = js_alloc((size_t)(r * sp->rows), sizeof(double), "space: left vectors");
  sp->v = js_alloc((size_t)(r * res->cols), sizeof(double), "space: right vectors");
  if (!sp->sigma || !sp->u || !sp->v) {
    js_space_free(sp);
    return JS_ENOMEM;
  }
  /* The leading r columns of column-after-column blocks are contiguous. */
  memcpy(sp->sigma, res->sigma, sizeof(double) * (size_t)r);
  memcpy(sp->u, res->u, sizeof(double) * (size_t)(r * sp->rows));
  memcpy(sp->v, res->v, sizeof(double) * (size_t)(r * res->cols));
  *out = sp;
  return JS_OK;
}

void js_space_free(js_space *space) {
  if (!space)
    return;
  free(space->sigma);
  free(space->u);
  free(space->v);
  free(space);
}

int64_t js_space_rank(const js_space *space) { return space->rank; }
int64_t js_space_rows(const js_space *space) { return space->rows; }
int64_t js_space_cols(const js_space *space) { return space->cols; }
const double *js_space_singular_values(const js_space *space) { return space->sigma; }
const double *js_space_left_vectors(const js_space *space) { return space->u; }

/* coef (r) = U^T z: the u_s are the rows of U^T, stored as the r x m
 * row-major matrix whose row s is column s of u; summed over the ranks. */
static int coefficients(const js_space *sp, const double *z, double *coef) {
  js_gemm(0, 0, sp->rank, 1, sp->rows, 1.0, sp->u, sp->rows, z, 1, 0.0, coef, 1);
  return js_comm_sum(sp->comm, coef, sp->rank);
}

int js_space_project(const js_space *space, const double *z, double *pz) {
  if (!space || !z || !pz)
    return js_fail(JS_EINVAL, "space: project: NULL argument");
  double *coef = js_alloc((size_t)space->rank, sizeof *coef, "space: coefficients");
  int status = js_comm_agree(space->comm, coef ? JS_OK : JS_ENOMEM);
  if (status || (status = coefficients(space, z, coef))) {
    free(coef);
    return status;
  }
  /* pz (m) = U coef: U is u read as the m x r matrix U^T transposed. */
  js_gemm(1, 0, space->rows, 1, space->rank, 1.0, space->u, space->rows, coef, 1, 0.0,
          pz, 1);
  free(coef);
  return JS_OK;
}

int js_space_align(const js_space *space, const double *z, double *coef,
                   js_alignment *out) {
  if (!space || !z || !out)
    return js_fail(JS_EINVAL, "space: align: NULL argument");
  int status = JS_OK;
  for (int64_t i = 0; i < space->rows && !status; i++)
    if (!isfinite(z[i]))
      status = js_fail(JS_ENUMERIC, "space: entry %lld of the vector is %g", (long long)i,
                       z[i]);
  double *c = coef || status ? coef : js_alloc((size_t)space->rank, sizeof *c,
                                               "space: coefficients");
  if (!status && !c)
    status = JS_ENOMEM;
  if ((status = js_comm_agree(space->comm, status)) || (status = coefficients(space, z, c))) {
    if (!coef)
      free(c);
    return status;
  }
  /* ||Pi_I z||^2 = sum c_s^2 and ||J_I^+ z||^2 = sum (c_s / lambda_s)^2,
   * the u_s and v_s being orthonormal; Pi_N needs only the top r vectors. */
  double info2 = 0, pinv2 = 0;
  for (int64_t s = 0; s < space->rank; s++) {
    info2 += c[s] * c[s];
    pinv2 += (c[s] / space->sigma[s]) * (c[s] / space->sigma[s]);
  }
  double norm = js_comm_nrm2(space->comm, space->rows, z);
  double nuisance2 = norm * norm - info2;
  *out = (js_alignment){.norm = norm};
  if (norm > 0) {
    out->info = sqrt(info2) / norm;
    out->nuisance = sqrt(nuisance2 > 0 ? nuisance2 : 0) / norm;
    out->pinv = sqrt(pinv2) / norm;
  }
  if (!coef)
    free(c);
  return JS_OK;
}

int js_space_nuisance_gradient(const js_space *space, js_linop *jacobian, const double *z,
                               double *norm) {
  if (!space || !jacobian || !z || !norm)
    return js_fail(JS_EINVAL, "space: nuisance gradient: NULL argument");
  if (js_linop_rows(jacobian) != space->rows || js_linop_cols(jacobian) != space->cols)
    return js_fail(JS_EINVAL, "space: the Jacobian is %lld x %lld, the space's %lld x %lld",
                   (long long)js_linop_rows(jacobian), (long long)js_linop_cols(jacobian),
                   (long long)space->rows, (long long)space->cols);
  double *g = js_alloc((size_t)space->cols, sizeof *g, "space: J^T z");
  double *coef = js_alloc((size_t)space->rank, sizeof *coef, "space: coefficients");
  int status = g && coef ? js_linop_apply_t(jacobian, 1, z, g) : JS_ENOMEM;
  if (!status) {
    /* J^T z = sum_s lambda_s (u_s^T z) v_s over all s: removing the top r
     * leaves J^T Pi_N z. */
    coefficients(space, z, coef);
    for (int64_t s = 0; s < space->rank; s++)
      js_axpy(space->cols, -space->sigma[s] * coef[s], space->v + s * space->cols, g);
    *norm = js_nrm2(space->cols, g);
  }
  free(g);
  free(coef);
  return status;
}

/* Principal angles between two information spaces (the adaptation of the
 * Jacobian to the labels, the paper's Tables 1-3: I(theta_0) against
 * I(theta_t)). For orthonormal bases U_a (m x r_a) and U_b (m x r_b) the
 * singular values of M = U_a^T U_b are cos(phi_s) of the principal angles
 * (Bjorck and Golub 1973), and ||M||_F^2 = sum_s cos^2(phi_s).
 *
 * Letters: m = nK rows, ra and rb the ranks; u of a space is m x r, column
 * after column. */
#include "core/blas.h"
#include "core/error.h"
#include "solve/lapack.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The principal angles of span(ua) and span(ub), both orthonormal: m x ra
 * and m x rb, column after column. */
static int basis_overlap(int64_t m, int64_t ra, const double *ua, int64_t rb,
                         const double *ub, double *angles, double *overlap) {
  int64_t k = ra < rb ? ra : rb;
  double *mat = js_alloc((size_t)(ra * rb), sizeof *mat, "space overlap: U_a^T U_b");
  double *cosines = js_alloc((size_t)k, sizeof *cosines, "space overlap: cosines");
  double query = 0, *work = NULL;
  int status = mat && cosines ? JS_OK : JS_ENOMEM;
  if (status)
    goto done;
  /* mat (ra x rb, column-major for LAPACK) = U_a^T U_b: entry (s, t) at
   * s + t ra. Row-major, that is the rb x ra matrix U_b^T U_a, whose rows
   * (column t of u_b) times the columns of U_a (the rows of u_a read as
   * ra x m row-major, transposed). */
  js_gemm(0, 1, rb, ra, m, 1.0, ub, m, ua, m, 0.0, mat, ra);
  double frobenius2 = js_dot(ra * rb, mat, mat);
  int ira = (int)ra, irb = (int)rb, one = 1, lwork = -1, info = 0;
  dgesvd_("N", "N", &ira, &irb, mat, &ira, cosines, NULL, &one, NULL, &one, &query, &lwork,
          &info, 1, 1);
  lwork = (int)query;
  if (info == 0 && !(work = js_alloc((size_t)lwork, sizeof *work, "space overlap: dgesvd")))
    status = JS_ENOMEM;
  if (info == 0 && !status)
    dgesvd_("N", "N", &ira, &irb, mat, &ira, cosines, NULL, &one, NULL, &one, work, &lwork,
            &info, 1, 1);
  if (!status && info)
    status = js_fail(JS_ENUMERIC, "space overlap: LAPACK dgesvd info %d", info);
  if (status)
    goto done;
  /* Rounding can put a cosine a little above 1. */
  for (int64_t s = 0; angles && s < k; s++)
    angles[s] = acos(fmin(cosines[s], 1.0));
  if (overlap)
    *overlap = frobenius2 / (double)k;
done:
  free(mat);
  free(cosines);
  free(work);
  return status;
}

int js_space_overlap(const js_space *a, const js_space *b, double *angles, double *overlap) {
  if (!a || !b)
    return js_fail(JS_EINVAL, "space overlap: NULL space");
  int64_t m = js_space_rows(a);
  if (js_space_rows(b) != m)
    return js_fail(JS_EINVAL, "space overlap: the spaces live in R^%lld and R^%lld",
                   (long long)m, (long long)js_space_rows(b));
  return basis_overlap(m, js_space_rank(a), js_space_left_vectors(a), js_space_rank(b),
                       js_space_left_vectors(b), angles, overlap);
}

/* A basis from a file need not be orthonormal: Householder QR makes it so
 * (span(Q) = span(basis) when R has no zero on its diagonal). A diagonal
 * entry below 1e-10 of the largest marks columns that span less than
 * `rank` dimensions, where the angles would be those of a smaller space. */
int js_space_overlap_basis(const js_space *a, int64_t rows, int64_t rank, const double *basis,
                           double *angles, double *overlap) {
  if (!a || !basis)
    return js_fail(JS_EINVAL, "space overlap: NULL space or basis");
  if (rows != js_space_rows(a))
    return js_fail(JS_EINVAL, "space overlap: the basis has %lld rows, the space lives in "
                   "R^%lld", (long long)rows, (long long)js_space_rows(a));
  if (rank < 1 || rank > rows || rows > INT_MAX)
    return js_fail(JS_EINVAL, "space overlap: a basis of %lld vectors of R^%lld",
                   (long long)rank, (long long)rows);
  for (int64_t i = 0; i < rows * rank; i++)
    if (!isfinite(basis[i]))
      return js_fail(JS_EINVAL, "space overlap: basis entry (%lld, %lld) is not finite",
                     (long long)(i % rows), (long long)(i / rows));
  double *q = js_alloc((size_t)(rows * rank), sizeof *q, "space overlap: the basis's Q");
  double *r = js_alloc((size_t)(rank * rank), sizeof *r, "space overlap: the basis's R");
  int status = q && r ? JS_OK : JS_ENOMEM;
  if (!status) {
    memcpy(q, basis, sizeof *q * (size_t)(rows * rank));
    status = js_lapack_qr(q, (int)rows, (int)rank, r);
  }
  double largest = 0;
  for (int64_t s = 0; !status && s < rank; s++)
    largest = fmax(largest, fabs(r[s * rank + s]));
  for (int64_t s = 0; !status && s < rank; s++)
    if (!(fabs(r[s * rank + s]) > 1e-10 * largest))
      status = js_fail(JS_EINVAL, "space overlap: basis column %lld lies in the span of "
                       "the columns before it", (long long)(s + 1));
  if (!status)
    status = basis_overlap(rows, js_space_rank(a), js_space_left_vectors(a), rank, q, angles,
                           overlap);
  free(q);
  free(r);
  return status;
}

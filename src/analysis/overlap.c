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

#include <math.h>
#include <stdlib.h>

int js_space_overlap(const js_space *a, const js_space *b, double *angles, double *overlap) {
  if (!a || !b)
    return js_fail(JS_EINVAL, "space overlap: NULL space");
  int64_t m = js_space_rows(a), ra = js_space_rank(a), rb = js_space_rank(b);
  if (js_space_rows(b) != m)
    return js_fail(JS_EINVAL, "space overlap: the spaces live in R^%lld and R^%lld",
                   (long long)m, (long long)js_space_rows(b));
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
  js_gemm(0, 1, rb, ra, m, 1.0, js_space_left_vectors(b), m, js_space_left_vectors(a), m,
          0.0, mat, ra);
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

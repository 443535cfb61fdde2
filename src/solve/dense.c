/* js_svds_dense: the reference path. J is formed column by column from
 * products with identity columns and handed to LAPACK's SVD; the result is
 * measured exactly as the Lanczos one is (shared finish step). */
#include "solve/gram.h"
#include "solve/lapack.h"
#include "solve/svds.h"

#include "core/error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Identity columns per product: BLIS sees a block, and the block (cols x b)
 * stays no larger than J itself (b <= rows). */
enum { IDENTITY_BLOCK = 64 };

static int check_size(int64_t rows, int64_t cols, size_t limit) {
  double bytes = (double)rows * (double)cols * sizeof(double);
  double gib = 1024.0 * 1024.0 * 1024.0;
  if (bytes > (double)limit)
    return js_fail(JS_ELIMIT,
                   "svds: the dense J (%lld x %lld) would take %.3g GiB, above the "
                   "limit of %.3g GiB; use the matrix-free Lanczos solver instead "
                   "(or raise the dense limit)",
                   (long long)rows, (long long)cols, bytes / gib, (double)limit / gib);
  if ((double)rows * (double)cols > (double)INT_MAX)
    return js_fail(JS_ELIMIT,
                   "svds: the dense J (%lld x %lld) has more entries than LAPACK's "
                   "32-bit indices allow; use the matrix-free Lanczos solver",
                   (long long)rows, (long long)cols);
  return JS_OK;
}

/* j (rows x cols, column-major: column c at j + c*rows) = J I. */
static int form_explicit(js_linop *op, double *j) {
  int64_t rows = js_linop_rows(op), cols = js_linop_cols(op);
  int64_t block = rows < IDENTITY_BLOCK ? rows : IDENTITY_BLOCK;
  double *eye = js_alloc((size_t)cols * (size_t)block, sizeof(double), "identity block");
  if (!eye)
    return JS_ENOMEM;
  int status = JS_OK;
  for (int64_t c0 = 0; c0 < cols && status == JS_OK; c0 += block) {
    if (js_cancel_requested()) {
      status = js_fail(JS_ECANCELED, "svds: interrupted after %lld of the %lld products "
                       "forming J", (long long)c0, (long long)cols);
      break;
    }
    int64_t b = cols - c0 < block ? cols - c0 : block;
    memset(eye, 0, sizeof(double) * (size_t)(cols * b));
    for (int64_t k = 0; k < b; k++)
      eye[k * cols + c0 + k] = 1.0;
    status = js_linop_apply(op, b, eye, j + c0 * rows);
  }
  free(eye);
  if (status == JS_OK)
    status = js_svds_check_finite(j, rows * cols, "the explicit J");
  return status;
}

/* a (m x n, destroyed) = u diag(s) vt with u m x min, vt min x n. */
static int lapack_svd(double *a, int m, int n, double *s, double *u, double *vt) {
  int mn = m < n ? m : n, lwork = -1, info = 0;
  double query;
  int *iwork = js_alloc(8 * (size_t)mn, sizeof(int), "dgesdd iwork");
  double *work = NULL;
  int status = JS_ENOMEM;
  if (!iwork)
    goto done;
  dgesdd_("S", &m, &n, a, &m, s, u, &m, vt, &mn, &query, &lwork, iwork, &info, 1);
  lwork = (int)query + 1;
  if (!(work = js_alloc((size_t)lwork, sizeof(double), "dgesdd work")))
    goto done;
  dgesdd_("S", &m, &n, a, &m, s, u, &m, vt, &mn, work, &lwork, iwork, &info, 1);
  if (info < 0)
    status = js_fail(JS_EINVAL, "svds: LAPACK dgesdd: argument %d is invalid", -info);
  else if (info > 0)
    status = js_fail(JS_ENOCONV, "svds: LAPACK dgesdd: the SVD did not converge (info = %d)",
                     info);
  else
    status = JS_OK;
done:
  free(iwork);
  free(work);
  return status;
}

int js_svds_dense(js_linop *op, const js_svds_options *opt, js_svds_result **out) {
  int64_t r;
  int status = js_svds_check(op, opt, out, &r);
  if (status)
    return status;
  int64_t rows = js_linop_rows(op), cols = js_linop_cols(op);
  int64_t mn = rows < cols ? rows : cols;
  if ((status = check_size(rows, cols, opt->dense_limit)))
    return status;

  js_svds_meter meter;
  js_svds_meter_start(&meter, op);
  js_svds_result *res = NULL;
  status = JS_ENOMEM;
  double *j = js_alloc((size_t)(rows * cols), sizeof(double), "dense J");
  double *s = js_alloc((size_t)mn, sizeof(double), "singular values");
  double *u = js_alloc((size_t)(rows * mn), sizeof(double), "dense U");
  double *vt = js_alloc((size_t)(mn * cols), sizeof(double), "dense V^T");
  if (!j || !s || !u || !vt)
    goto done;
  if ((status = form_explicit(op, j)) ||
      (status = lapack_svd(j, (int)rows, (int)cols, s, u, vt)))
    goto done;
  /* Cut-off mode keeps at most min(rows, cols) - 1 triplets, as Lanczos. */
  int64_t keep = opt->cutoff > 0 ? mn - 1 : r;
  /* No Gram matrix here; the side reported is the one Lanczos would use. */
  if ((status = js_svds_result_alloc(op, keep, js_gram_side(op, opt->side), &res)))
    goto done;
  res->rank = keep;
  memcpy(res->sigma, s, sizeof(double) * (size_t)keep);
  memcpy(res->u, u, sizeof(double) * (size_t)(rows * keep));
  for (int64_t k = 0; k < keep; k++)
    for (int64_t c = 0; c < cols; c++)
      res->v[k * cols + c] = vt[k + c * mn];
  if (opt->cutoff > 0) {
    if ((status = js_svds_check_cutoff(res, opt->cutoff)))
      goto done;
    js_svds_keep_above(res, opt->cutoff);
    res->requested = res->rank;
  }
  res->converged = 1;
  status = js_svds_finish(op, opt, &meter, res);
done:
  free(j);
  free(s);
  free(u);
  free(vt);
  if (status) {
    js_svds_result_free(res);
    res = NULL;
  }
  *out = res;
  return status;
}

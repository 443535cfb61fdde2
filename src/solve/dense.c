/* js_svds_dense: the reference path. J is formed from products with
 * identity vectors on its smaller side (columns J e_c, or rows J^T e_r) and
 * handed to LAPACK's SVD; the result is measured exactly as the Lanczos
 * one is (shared finish step). */
#include "solve/gram.h"
#include "solve/lapack.h"
#include "solve/svds.h"

#include "core/error.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Identity vectors per product: BLIS sees a block, and the block stays no
 * larger than J itself (b <= the smaller side). */
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

/* j (rows x cols, column-major: column c at j + c*rows) = J, from its
 * smaller side: J e_c for every column when cols <= rows, else J^T e_r for
 * every row (nK VJPs instead of p JVPs for a wide network Jacobian), in
 * blocks of identity vectors. */
static int form_explicit(js_linop *op, double *j) {
  int64_t rows = js_linop_rows(op), cols = js_linop_cols(op);
  int by_rows = rows < cols;
  int64_t count = by_rows ? rows : cols;   /* identity vectors */
  int64_t length = by_rows ? cols : rows;  /* of each product */
  int64_t block = count < IDENTITY_BLOCK ? count : IDENTITY_BLOCK;
  double *eye = js_alloc((size_t)count * (size_t)block, sizeof(double), "identity block");
  double *part = by_rows ? js_alloc((size_t)length * (size_t)block, sizeof(double),
                                    "rows of the dense J")
                         : NULL;
  int status = eye && (part || !by_rows) ? JS_OK : JS_ENOMEM;
  for (int64_t k0 = 0; k0 < count && status == JS_OK; k0 += block) {
    if (js_cancel_requested()) {
      status = js_fail(JS_ECANCELED, "svds: interrupted after %lld of the %lld products "
                       "forming J", (long long)k0, (long long)count);
      break;
    }
    int64_t b = count - k0 < block ? count - k0 : block;
    memset(eye, 0, sizeof(double) * (size_t)(count * b));
    for (int64_t k = 0; k < b; k++)
      eye[k * count + k0 + k] = 1.0;
    if (!by_rows) { /* columns k0.. of J are contiguous in j */
      status = js_linop_apply(op, b, eye, j + k0 * rows);
      continue;
    }
    status = js_linop_apply_t(op, b, eye, part); /* part: b rows of J, each of cols */
    for (int64_t k = 0; k < b && status == JS_OK; k++)
      for (int64_t c = 0; c < cols; c++)
        j[k0 + k + c * rows] = part[k * cols + c];
  }
  free(eye);
  free(part);
  if (status == JS_OK)
    status = js_svds_check_finite(j, rows * cols, "the explicit J");
  return status;
}

int js_svds_dense(js_linop *op, const js_svds_options *opt, js_svds_result **out) {
  int64_t r;
  int status = js_svds_check(op, opt, out, 1, &r);
  if (status)
    return status;
  /* The reference stays serial: one process forms all of J. */
  if (js_linop_comm(op)->size > 1)
    return js_fail(JS_EINVAL, "svds: the dense reference needs J on one process; it is "
                   "split across %d ranks (run it without mpirun)", js_linop_comm(op)->size);
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
      (status = js_lapack_svd(j, (int)rows, (int)cols, s, u, vt)))
    goto done;
  /* Cut-off mode keeps at most min(rows, cols) - 1 triplets, as Lanczos. */
  int64_t keep = opt->cutoff > 0 ? mn - 1 : r;
  /* No Gram matrix here; the side reported is the one Lanczos would use. */
  if ((status = js_svds_result_alloc(op, keep, js_gram_side(op, opt->side), &res)))
    goto done;
  res->rank = keep;
  res->method = JS_SVDS_DENSE;
  /* The smallest: LAPACK's last `keep`, in ascending order. */
  for (int64_t k = 0; k < keep; k++) {
    int64_t from = opt->smallest ? mn - 1 - k : k;
    res->sigma[k] = s[from];
    memcpy(res->u + k * rows, u + from * rows, sizeof(double) * (size_t)rows);
    for (int64_t c = 0; c < cols; c++)
      res->v[k * cols + c] = vt[from + c * mn];
  }
  res->scale = s[0];
  if (opt->cutoff > 0) {
    if ((status = js_svds_check_cutoff(res, opt->cutoff)))
      goto done;
    js_svds_keep_above(res, opt->cutoff);
    res->requested = res->rank;
  }
  res->converged = 1;
  status = js_svds_finish(op, opt, &meter, NULL, NULL, res);
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

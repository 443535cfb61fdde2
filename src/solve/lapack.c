/* The LAPACK calls the solvers share, with their workspace queries and
 * error codes turned into statuses. */
#include "solve/lapack.h"

#include "core/error.h"
#include "jacspec.h"

#include <stdlib.h>
#include <string.h>

int js_lapack_svd(double *a, int m, int n, double *s, double *u, double *vt) {
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


int js_lapack_qr(double *a, int m, int n, double *r) {
  int lwork = -1, info = 0;
  double query_qrf = 0, query_orgqr = 0;
  double *tau = js_alloc((size_t)n, sizeof(double), "dgeqrf tau"), *work = NULL;
  int status = JS_ENOMEM;
  if (!tau)
    goto done;
  dgeqrf_(&m, &n, a, &m, tau, &query_qrf, &lwork, &info);
  dorgqr_(&m, &n, &n, a, &m, tau, &query_orgqr, &lwork, &info);
  lwork = (int)(query_qrf > query_orgqr ? query_qrf : query_orgqr) + 1;
  if (!(work = js_alloc((size_t)lwork, sizeof(double), "dgeqrf work")))
    goto done;
  dgeqrf_(&m, &n, a, &m, tau, work, &lwork, &info);
  memset(r, 0, sizeof(double) * (size_t)n * (size_t)n);
  for (int j = 0; j < n && info == 0; j++)
    memcpy(r + (size_t)j * (size_t)n, a + (size_t)j * (size_t)m,
           sizeof(double) * (size_t)(j + 1));
  if (info == 0)
    dorgqr_(&m, &n, &n, a, &m, tau, work, &lwork, &info);
  /* Only an invalid argument can fail, which the callers' sizes rule out. */
  status = info == 0 ? JS_OK
                     : js_fail(JS_EINVAL, "svds: LAPACK QR: argument %d is invalid", -info);
done:
  free(tau);
  free(work);
  return status;
}

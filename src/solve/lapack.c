/* The LAPACK calls the solvers share, with their workspace queries and
 * error codes turned into statuses. */
#include "solve/lapack.h"

#include "core/error.h"
#include "jacspec.h"

#include <stdlib.h>

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


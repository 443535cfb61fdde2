/* Test helper: the full SVD of an explicit row-major matrix by LAPACK's
 * dgesvd_ (a different routine from the solver's dgesdd_), the reference
 * the analysis tests compare the information-space metrics with. */
#ifndef JS_TESTS_DENSE_SVD_H
#define JS_TESTS_DENSE_SVD_H

#include <stdint.h>

/* a is rows x cols row-major (not modified); mn = min(rows, cols).
 * s (mn) descending; u (rows x mn) and v (cols x mn) column after column:
 * a = sum_s s[s] u_s v_s^T. Returns 0 or LAPACK's info. */
int dense_svd(const double *a, int64_t rows, int64_t cols, double *s, double *u,
              double *v);

#endif

#include "dense_svd.h"

#include <stdlib.h>

void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *info, size_t jobu_len,
             size_t jobvt_len);

int dense_svd(const double *a, int64_t rows, int64_t cols, double *s, double *u,
              double *v) {
  int m = (int)rows, n = (int)cols, mn = m < n ? m : n, info = 0;
  double *col_major = malloc(sizeof(double) * (size_t)(m * n));
  double *vt = malloc(sizeof(double) * (size_t)(mn * n));
  int lwork = 5 * (m + n) + 64 * (m > n ? m : n);
  double *work = malloc(sizeof(double) * (size_t)lwork);
  if (!col_major || !vt || !work)
    info = -1000;
  for (int64_t i = 0; !info && i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      col_major[i + j * rows] = a[i * cols + j];
  if (!info)
    dgesvd_("S", "S", &m, &n, col_major, &m, s, u, &m, vt, &mn, work, &lwork, &info, 1, 1);
  /* vt is mn x n column-major: row s of V^T is v_s. */
  for (int64_t k = 0; !info && k < mn; k++)
    for (int64_t j = 0; j < cols; j++)
      v[k * cols + j] = vt[k + j * mn];
  free(col_major);
  free(vt);
  free(work);
  return info;
}

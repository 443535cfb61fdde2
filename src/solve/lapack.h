/* The LAPACK routines the solvers and the analytic kernel use, declared by
 * hand (Fortran calling convention: trailing underscore, every argument by reference,
 * column-major arrays, and gfortran's hidden length of each character
 * argument at the end). */
#ifndef JS_SOLVE_LAPACK_H
#define JS_SOLVE_LAPACK_H

#include <stddef.h>

/* SVD by divide and conquer: A (m x n) = U diag(s) VT. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *iwork,
             int *info, size_t jobz_len);

/* SVD by QR iteration, A (m x n, destroyed) = U diag(s) VT; with jobu =
 * jobvt = "N" the singular values only: the principal angles of two
 * spaces (src/analysis/overlap.c). */
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *info, size_t jobu_len,
             size_t jobvt_len);

/* Eigenvalues (and vectors) of a symmetric matrix by the MRRR algorithm:
 * the dense analytic kernel's spectrum (src/analysis/ntk.c). */
void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n,
             double *a, const int *lda, const double *vl, const double *vu,
             const int *il, const int *iu, const double *abstol, int *m, double *w,
             double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
             int *iwork, const int *liwork, int *info, size_t jobz_len,
             size_t range_len, size_t uplo_len);

/* Eigenvalues (ascending, in d) and, for jobz = "V", orthonormal
 * eigenvectors z (n x n, column-major) of the symmetric tridiagonal matrix
 * with diagonal d (n) and off-diagonal e (n - 1, destroyed); work has
 * max(1, 2n - 2) entries: the density's Gauss rules and the Golub-Welsch
 * rule for Gauss-Hermite nodes and weights. */
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z,
            const int *ldz, double *work, int *info, size_t jobz_len);

/* QR factorisation by Householder reflections: A (m x n) = Q R, R in the
 * upper triangle of a, the reflectors below it and in tau (min(m, n)). */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
/* The first n columns of Q from dgeqrf_'s k reflectors, in place in a. */
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);

/* a (m x n column-major, destroyed) = u diag(s) vt by dgesdd_: s (min(m, n))
 * descending, u (m x min), vt (min x n), column-major. JS_OK, JS_ENOMEM, or
 * JS_ENOCONV when LAPACK's SVD did not converge. */
int js_lapack_svd(double *a, int m, int n, double *s, double *u, double *vt);

/* a (m x n column-major, m >= n) = Q R: a becomes Q's n orthonormal
 * columns, r (n x n column-major) R, upper triangular (zeros below).
 * JS_OK or JS_ENOMEM. */
int js_lapack_qr(double *a, int m, int n, double *r);

#endif

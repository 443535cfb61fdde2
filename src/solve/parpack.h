/* Which ARPACK runs a Lanczos solve: serial dsaupd/dseupd when the Gram
 * side's vectors are whole on this process, PARPACK's pdsaupd/pdseupd when
 * they are split across the ranks of a js_comm (the outputs side of a
 * distributed J): the same reverse communication, with n the local length
 * and the dot products and norms reduced over the communicator inside
 * PARPACK. On the params side every rank runs serial ARPACK on identical
 * vectors (the operator's sums are identical on every rank) and so takes
 * identical steps. */
#ifndef JS_SOLVE_PARPACK_H
#define JS_SOLVE_PARPACK_H

#include "jacspec.h"

#include <arpack.h>

/* Non-zero when this build can solve with vectors split over comm:
 * always for a serial comm, with PARPACK (-Dmpi) otherwise. */
int js_arpack_supports(const js_comm *comm);

/* dsaupd_c, or pdsaupd_c on comm's Fortran handle; arguments as in
 * ARPACK's dsaupd.f (n local). */
void js_arpack_saupd(const js_comm *comm, a_int *ido, const char *bmat, a_int n,
                     const char *which, a_int nev, double tol, double *resid, a_int ncv,
                     double *v, a_int ldv, a_int *iparam, a_int *ipntr, double *workd,
                     double *workl, a_int lworkl, a_int *info);
/* dseupd_c, or pdseupd_c likewise. */
void js_arpack_seupd(const js_comm *comm, a_int rvec, const char *howmny,
                     const a_int *select, double *d, double *z, a_int ldz, double sigma,
                     const char *bmat, a_int n, const char *which, a_int nev, double tol,
                     double *resid, a_int ncv, double *v, a_int ldv, a_int *iparam,
                     a_int *ipntr, double *workd, double *workl, a_int lworkl, a_int *info);

#endif

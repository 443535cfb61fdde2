/* The choice between ARPACK and PARPACK (solve/parpack.h). */
#include "solve/parpack.h"

#include "core/comm.h"

#if JS_HAVE_PARPACK
/* parpack.h's declarations with MPI_Fint spelled int: parpack.h includes
 * mpi.h, which only src/parallel/mpi.c may, so the core stays MPI-free;
 * MPI_Fint is an int in Open MPI and MPICH, and src/parallel/mpi.c checks
 * it at compile time. */
void pdsaupd_c(int comm, a_int *ido, char const *bmat, a_int n, char const *which,
               a_int nev, double tol, double *resid, a_int ncv, double *v, a_int ldv,
               a_int *iparam, a_int *ipntr, double *workd, double *workl, a_int lworkl,
               a_int *info);
void pdseupd_c(int comm, a_int rvec, char const *howmny, a_int const *select, double *d,
               double *z, a_int ldz, double sigma, char const *bmat, a_int n,
               char const *which, a_int nev, double tol, double *resid, a_int ncv,
               double *v, a_int ldv, a_int *iparam, a_int *ipntr, double *workd,
               double *workl, a_int lworkl, a_int *info);
#endif

int js_arpack_supports(const js_comm *comm) {
  return !js_comm_distributed(comm) || (JS_HAVE_PARPACK && comm->fortran_comm >= 0);
}

void js_arpack_saupd(const js_comm *comm, a_int *ido, const char *bmat, a_int n,
                     const char *which, a_int nev, double tol, double *resid, a_int ncv,
                     double *v, a_int ldv, a_int *iparam, a_int *ipntr, double *workd,
                     double *workl, a_int lworkl, a_int *info) {
#if JS_HAVE_PARPACK
  if (js_comm_distributed(comm)) {
    pdsaupd_c(comm->fortran_comm, ido, bmat, n, which, nev, tol, resid, ncv, v, ldv, iparam,
              ipntr, workd, workl, lworkl, info);
    return;
  }
#endif
  (void)comm;
  dsaupd_c(ido, bmat, n, which, nev, tol, resid, ncv, v, ldv, iparam, ipntr, workd, workl,
           lworkl, info);
}

void js_arpack_seupd(const js_comm *comm, a_int rvec, const char *howmny,
                     const a_int *select, double *d, double *z, a_int ldz, double sigma,
                     const char *bmat, a_int n, const char *which, a_int nev, double tol,
                     double *resid, a_int ncv, double *v, a_int ldv, a_int *iparam,
                     a_int *ipntr, double *workd, double *workl, a_int lworkl, a_int *info) {
#if JS_HAVE_PARPACK
  if (js_comm_distributed(comm)) {
    pdseupd_c(comm->fortran_comm, rvec, howmny, select, d, z, ldz, sigma, bmat, n, which, nev,
              tol, resid, ncv, v, ldv, iparam, ipntr, workd, workl, lworkl, info);
    return;
  }
#endif
  (void)comm;
  dseupd_c(rvec, howmny, select, d, z, ldz, sigma, bmat, n, which, nev, tol, resid, ncv, v,
           ldv, iparam, ipntr, workd, workl, lworkl, info);
}

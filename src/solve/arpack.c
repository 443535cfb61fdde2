/* The reverse-communication loop around ARPACK's symmetric driver in
 * regular mode (mode 1, bmat = I, exact shifts), on the Gram operator. */
#include "solve/arpack.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "solve/parpack.h"
#include "solve/svds.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ARPACK's info codes, as documented in dsaupd.f and dseupd.f. */
static const char *info_message(a_int info, int in_seupd) {
  switch (info) {
  case -1: return "N must be positive";
  case -2: return "NEV must be positive";
  case -3: return "NCV must be greater than NEV and at most N";
  case -4: return "the maximum number of restarts must be positive";
  case -5: return "WHICH must be one of LM, SM, LA, SA or BE";
  case -6: return "BMAT must be I or G";
  case -7: return "the work array WORKL is too short";
  case -8: return "LAPACK's dsteqr failed on the tridiagonal eigenproblem";
  case -9:
    return "the starting vector is zero (is the operator zero? e.g. nu = 0 with only W1 "
           "trained)";
  case -10: return "IPARAM(7) (mode) must be 1 to 5";
  case -11: return "mode 1 and BMAT = G are incompatible";
  case -12:
    return in_seupd ? "NEV = 1 and WHICH = BE are incompatible"
                    : "IPARAM(1) (shift strategy) must be 0 or 1";
  case -13: return "NEV = 1 and WHICH = BE are incompatible";
  case -14: return "dsaupd did not find any eigenvalue to sufficient accuracy";
  case -15: return "HOWMNY must be A or S when eigenvectors are wanted";
  case -16: return "HOWMNY = S is not implemented";
  case -17: return "dseupd counted a different number of converged Ritz values than dsaupd";
  case -9999: return "could not build a Lanczos factorization";
  case 3: return "no shifts could be applied during a restart";
  default: return "undocumented error code";
  }
}

/* Sizes ARPACK indexes with its (32-bit) a_int. */
static int check_sizes(int64_t n, int64_t ncv, const js_comm *comm) {
  if (!js_arpack_supports(comm))
    return js_fail(JS_EINVAL, "svds: the outputs side of a Jacobian split across %d ranks "
                   "needs PARPACK, and this jacspec was built without it (-Dmpi)",
                   comm->size);
  if (n > INT_MAX || ncv > 46000) /* ncv * (ncv + 8) must fit too */
    return js_fail(JS_ELIMIT,
                   "svds: Gram matrix of size %lld with a Lanczos basis of %lld "
                   "vectors exceeds ARPACK's 32-bit indices",
                   (long long)n, (long long)ncv);
  return JS_OK;
}

/* The column j of basis (n x ncv) that x copies, trying `hint` first; -1
 * when none does. */
static int64_t lanczos_step(const double *x, const double *basis, a_int n, a_int ncv,
                            int64_t hint) {
  size_t bytes = sizeof(double) * (size_t)n;
  if (hint >= 0 && hint < ncv && memcmp(x, basis + (size_t)hint * (size_t)n, bytes) == 0)
    return hint;
  for (a_int j = 0; j < ncv; j++)
    if (memcmp(x, basis + (size_t)j * (size_t)n, bytes) == 0)
      return j;
  return -1;
}

int js_arpack_top(js_gram *g, int64_t nev, int64_t ncv, const js_svds_options *opt,
                  double shift, double *sigma, double *x, int64_t *n_converged,
                  int64_t *iterations) {
  *n_converged = 0;
  *iterations = 0;
  int status = js_comm_agree(js_linop_comm(g->op), check_sizes(g->n, ncv, g->comm));
  if (status)
    return status;
  a_int n = (a_int)g->n, nv = (a_int)ncv, ne = (a_int)nev;
  a_int lworkl = nv * (nv + 8), ido = 0, info = 1;
  a_int iparam[11] = {0}, ipntr[11] = {0};
  iparam[0] = 1;                   /* exact shifts */
  iparam[2] = (a_int)opt->max_iter;
  iparam[6] = 1;                   /* mode 1: G x = lambda x */
  status = JS_ENOMEM;
  double *resid = js_alloc((size_t)n, sizeof(double), "Lanczos residual");
  double *basis = js_alloc((size_t)n * (size_t)nv, sizeof(double), "Lanczos basis");
  double *workd = js_alloc(3 * (size_t)n, sizeof(double), "ARPACK workd");
  double *workl = js_alloc((size_t)lworkl, sizeof(double), "ARPACK workl");
  double *d = js_alloc((size_t)ne, sizeof(double), "Ritz values");
  a_int *select = js_alloc((size_t)nv, sizeof(a_int), "ARPACK select");
  int have = resid && basis && workd && workl && d && select;
  if ((status = js_comm_agree(js_linop_comm(g->op), have ? JS_OK : JS_ENOMEM)))
    goto done;

  /* info = 1: ARPACK starts from resid, a Gaussian vector drawn from the
   * seed, so a run is reproducible (ARPACK's own start is not seedable);
   * drawn by global index, so it is the same vector on any number of ranks. */
  js_gram_draw(g, opt->seed, 0, resid);

  /* The smallest eigenvalues theta of G are the largest of shift I - G
   * (shift = 1.01 lambda_1^2 >= every theta): the same Krylov spaces as
   * which = SA on G, but ARPACK's test ||r|| <= tol |Ritz value| then asks
   * for an error tol lambda_1^2, what products with G can deliver, where SA
   * would ask tol theta, out of reach for theta << lambda_1^2. */
  const char *which = "LA";
  /* On shift I - G the test is relative to ~lambda_1^2, and theta = shift - d
   * needs d to working precision: tol 0 is ARPACK's machine epsilon. */
  double tol = shift > 0 ? 0.0 : js_svds_arpack_tol(opt->tol);
  /* ARPACK does not signal restarts through reverse communication; the
   * Lanczos step it asks a product for does: the vector is a copy of basis
   * column j (dsaitr), and j falls back after each restart. */
  int64_t products = 0, step = -1, restarts = 0;
  for (;;) {
    js_arpack_saupd(g->comm, &ido, "I", n, which, ne, tol, resid, nv, basis, n, iparam,
                    ipntr, workd, workl, lworkl, &info);
    if (ido != -1 && ido != 1)
      break;
    /* Between products: ARPACK holds no state outside these arrays, so
     * stopping here frees everything. What has converged so far is not
     * known until dseupd, which needs a finished iteration. */
    /* Agreed: a signal reaches the ranks at different moments, and a rank
     * that stopped alone would leave the others waiting in a sum. */
    status = js_cancel_requested() ? js_fail(JS_ECANCELED, "svds: interrupted after %lld "
                                             "products", (long long)products)
                                   : JS_OK;
    if ((status = js_comm_agree(js_linop_comm(g->op), status)))
      goto done;
    status = js_gram_apply(g, workd + ipntr[0] - 1, workd + ipntr[1] - 1);
    if (status)
      goto done;
    if (shift > 0) { /* y = shift x - G x */
      js_scal(n, -1.0, workd + ipntr[1] - 1);
      js_axpy(n, shift, workd + ipntr[0] - 1, workd + ipntr[1] - 1);
    }
    products++;
    if (opt->progress) {
      int64_t j = lanczos_step(workd + ipntr[0] - 1, basis, n, nv, step + 1);
      restarts += j >= 0 && j <= step;
      step = j >= 0 ? j : step;
      js_progress p = {.stage = "lanczos", .done = products, .restarts = restarts,
                       .converged = -1, .wanted = nev};
      opt->progress(opt->progress_ctx, &p);
    }
  }
  if (info == -9) { /* G = 0 (G r = 0 for a random r): no nonzero triplet */
    status = JS_OK;
    goto done;
  }
  if (info < 0) {
    status = js_fail(JS_EARPACK, "svds: ARPACK dsaupd: %s (info = %d)",
                     info_message(info, 0), (int)info);
    goto done;
  }
  /* info = 1 (restarts exhausted) or 3 (no shifts) leave nconv < nev. */
  const char *reason = info == 3 ? info_message(info, 0) : NULL;
  /* iparam[2] counts Lanczos extensions; the first needs no restart and
   * ARPACK stops on the extension after the last allowed restart, so the
   * restarts applied are one fewer (and never exceed max_iter). */
  *iterations = iparam[2] - 1;
  a_int nconv = iparam[4] < ne ? iparam[4] : ne;
  if (nconv > 0) {
    /* The Ritz vectors overwrite the first nev columns of the basis (Z = V,
     * as ARPACK's own drivers call it): no second n x nev array. */
    js_arpack_seupd(g->comm, 1, "A", select, d, basis, n, 0.0, "I", n, which, ne, tol,
                    resid, nv, basis, n, iparam, ipntr, workd, workl, lworkl, &info);
    if (info != 0) {
      status = js_fail(JS_EARPACK, "svds: ARPACK dseupd: %s (info = %d)",
                       info_message(info, 1), (int)info);
      goto done;
    }
  }
  /* d holds lambda_s^2 ascending; round-off can push a zero below 0. The
   * top come out descending; shift - d, the smallest, ascending. */
  for (a_int s = 0; s < nconv; s++) {
    a_int from = nconv - 1 - s;
    double theta = shift > 0 ? shift - d[from] : d[from];
    sigma[s] = sqrt(theta > 0 ? theta : 0.0);
    memcpy(x + (size_t)s * (size_t)n, basis + (size_t)from * (size_t)n,
           sizeof(double) * (size_t)n);
  }
  *n_converged = nconv;
  status = JS_OK;
  if (nconv < ne)
    status = js_fail(JS_ENOCONV,
                     "svds: only %d of %d singular triplets converged after %lld "
                     "restarts (raise --maxiter or --ncv)%s%s",
                     (int)nconv, (int)ne, (long long)*iterations,
                     reason ? ": ARPACK: " : "", reason ? reason : "");
done:
  free(resid);
  free(basis);
  free(workd);
  free(workl);
  free(d);
  free(select);
  return status;
}

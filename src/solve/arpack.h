/* One ARPACK run: the top eigenpairs of a Gram operator by implicitly
 * restarted Lanczos (dsaupd/dseupd), returned as singular values. */
#ifndef JS_SOLVE_ARPACK_H
#define JS_SOLVE_ARPACK_H

#include "solve/gram.h"

/* The nev largest eigenvalues lambda_s^2 of G (with shift > 0 the
 * smallest, ascending, from shift I - G; shift >= lambda_1^2) with Lanczos basis size ncv (nev < ncv <= n), start
 * vector from opt->seed, singular values to opt->tol relative
 * (js_svds_arpack_tol), at most opt->max_iter
 * restarts. Writes sigma[s] = lambda_s (descending) and the
 * eigenvectors x (n x nev) of the *n_converged triplets that converged, and
 * the restarts taken; G = 0 gives none (JS_OK, *n_converged = 0). Returns JS_OK, JS_ENOCONV (fewer than nev converged;
 * the message says how many), JS_EARPACK or a product's error. */
int js_arpack_top(js_gram *g, int64_t nev, int64_t ncv, const js_svds_options *opt,
                  double shift, double *sigma, double *x, int64_t *n_converged,
                  int64_t *iterations);

#endif

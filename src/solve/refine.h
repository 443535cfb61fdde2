/* The refinement in double of triplets that Lanczos found on an
 * approximate operator (js_svds_options.fast): Rayleigh-Ritz of J itself
 * on the subspace found, then subspace iteration until every singular
 * value's error bound meets the tolerance.
 *
 * Letters (the outputs side; the params side swaps J and J^T, u and v):
 * X (n x m) the orthonormal vectors on the Lanczos side (n = nK), Z (o x m)
 * their images J^T X (o = p), Y (n x m) = J V; m = the vectors refined,
 * r <= m the triplets wanted (the rest are guards). */
#ifndef JS_SOLVE_REFINE_H
#define JS_SOLVE_REFINE_H

#include "jacspec.h"

/* The subspace-iteration steps a refinement may take after its first
 * Rayleigh-Ritz step before it reports JS_ENOCONV. */
enum { JS_REFINE_MAX_STEPS = 3 };

/* Refines the res->rank (= m) orthonormal vectors on side res->side (u on
 * the outputs side, v on the params side) into triplets of op: res then
 * holds the top min(r, m) triplets, J^T u_s = sigma_s v_s on the outputs
 * side (J v_s = sigma_s u_s on the params side) to rounding, residual_u
 * (outputs side) or residual_v measured by one block of products, the
 * other 0, error_bound[s] bounding |sigma_s - lambda_s| / sigma_s
 * (refine.c), refine_steps and max_error_bound. Each step costs m products
 * with J and m with J^T. Returns JS_OK once the bounds of the r wanted
 * are at most tol (0: machine precision), JS_ENOCONV (the message gives
 * the bound reached) after JS_REFINE_MAX_STEPS steps short of it,
 * JS_ECANCELED, JS_ENOMEM, JS_ENUMERIC or a product's error. The
 * operator must not be split across ranks. */
int js_refine(js_linop *op, const js_svds_options *opt, int64_t r, double tol,
              js_svds_result *res);

/* Bytes js_refine allocates for m vectors on a Gram side of size n: Y and
 * the small matrices, beside the result. */
size_t js_refine_memory_bytes(int64_t n, int64_t m);

#endif

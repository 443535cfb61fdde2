/* What the two SVD paths (Lanczos in svds.c, dense LAPACK in dense.c) share:
 * option checks, the result's allocation, the cut-off rule and the final
 * step that measures every triplet (residuals, product counts, time). */
#ifndef JS_SOLVE_SVDS_H
#define JS_SOLVE_SVDS_H

#include "jacspec.h"

#include <time.h>

/* Checks op, opt and out, and gives the first number of triplets to ask for:
 * opt->top, or in cut-off mode opt->top (10 when unset) clipped to
 * min(rows, cols) - 1; at most min(rows, cols) - 1 for Lanczos, all of them
 * for the dense path (dense != 0). Sets *out = NULL. Nothing is computed
 * before this. */
int js_svds_check(js_linop *op, const js_svds_options *opt, js_svds_result **out,
                  int dense, int64_t *n_triplets);

/* The first number of triplets to ask for (the rule js_svds_check applies;
 * not range-checked). */
int64_t js_svds_first_rank(const js_svds_options *opt, int64_t min_dim);

/* ARPACK's tolerance tau for a relative accuracy t of the singular values
 * (js_svds_options.tol): sqrt(2 t 1e-2), options.c says why. */
double js_svds_arpack_tol(double t);

/* The method a solve starts with: opt->method, with AUTO resolved to GKL
 * for the smallest and to the Gram side otherwise (which may still switch
 * to GKL: svds.c). */
js_svds_method js_svds_first_method(const js_svds_options *opt);

/* A result with room for `capacity` triplets (u rows x capacity, v cols x
 * capacity), rank 0. */
int js_svds_result_alloc(const js_linop *op, int64_t capacity, js_side side,
                         js_svds_result **out);

/* Cut-off mode: JS_EINVAL when sigma_1 <= alpha (nothing to keep). */
int js_svds_check_cutoff(const js_svds_result *res, double cutoff);
/* Keeps the leading triplets with sigma > cutoff (sigma is descending). */
void js_svds_keep_above(js_svds_result *res, double cutoff);

/* JS_ENUMERIC, naming `what`, if x (length n) holds NaN or Inf. */
int js_svds_check_finite(const double *x, int64_t n, const char *what);

/* Product counters and clock at the start of a solve. */
typedef struct js_svds_meter {
  int64_t n_apply, n_apply_t;
  struct timespec start;
} js_svds_meter;
void js_svds_meter_start(js_svds_meter *meter, const js_linop *op);
/* Products with J and J^T and seconds since the meter started. */
void js_svds_meter_read(const js_svds_meter *meter, const js_linop *op, int64_t *n_apply,
                        int64_t *n_apply_t, double *seconds);

/* Residuals of the res->rank triplets, then the product counts and
 * seconds since the meter started; drops what opt->want_vectors does not
 * keep.
 * A refined result (res->refined) has its residuals already (solve/refine.h).
 * Else, other_norm NULL: both residuals from two block products. Else the
 * Gram side's norms ||J^T u_s|| (outputs side) or ||J v_s|| (params side)
 * that made the other side's vectors (js_gram_other_side): that side's
 * residual follows from them, and one block product gives the other, or
 * gram_u = G U (js_gram_explicit_side; overwritten) when not NULL. */
int js_svds_finish(js_linop *op, const js_svds_options *opt, const js_svds_meter *meter,
                   const double *other_norm, double *gram_u, js_svds_result *res);

#endif

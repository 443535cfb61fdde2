/* Rayleigh-Ritz and subspace iteration in double (solve/refine.h).
 *
 * One step on the outputs side: Z = J^T X = Q R (Householder), R = P
 * diag(sigma) W^T (dgesdd), V = Q P, U = X W. Then J^T u_s = sigma_s v_s
 * to rounding and u_s^T J v_s = sigma_s, so x_s = (u_s; v_s) / sqrt 2 is
 * a Ritz vector of H = [0 J; J^T 0] (whose eigenvalues are +-lambda_j and
 * zeros) with Ritz value sigma_s and residual (J v_s - sigma_s u_s; 0) /
 * sqrt 2: one block Y = J V measures it, rho_s = ||y_s - sigma_s u_s||.
 * The Ritz values are the singular values of U^T J, each at most its
 * lambda_s (interlacing), and their error is quadratic in the subspace's.
 *
 * The error bound of sigma_s is the smaller of
 *   b_s = rho_s / sqrt 2 (some eigenvalue of H lies that close: Bauer-Fike
 *         for a symmetric matrix), and
 *   ||R_C||^2 / delta_C for each run C of neighbouring Ritz values around s
 *         (Kato-Temple for a run of one, Mathias's quadratic residual bound,
 *         SIAM J. Matrix Anal. Appl. 19 (1998), for more, with ||R_C||_2 <=
 *         ||R_C||_F = sqrt(sum of b_t^2)), delta_C the distance from C to
 *         the Ritz values beside it, the one below less its own b (the
 *         eigenvalue it stands for may lie that much higher; the one above
 *         only rises, by interlacing).
 * plus the rounding of the products and the SVD, estimated as sqrt(max(nK,
 * p)) eps sigma_1. The gap is estimated from the Ritz values, so the bound
 * holds when they stand for the eigenvalues beside the run, which is what guard vectors
 * (svds.c) make likely; a run's bound is what keeps a close pair, whose
 * own gap is small, from looking inaccurate.
 *
 * If a bound of the r wanted is above tol: X <- orth(Y) = orth(J J^T X),
 * one step of subspace iteration (the error of u_s falls by (lambda_j /
 * lambda_s)^2 in each direction j outside the block), and again. */
#include "solve/refine.h"

#include "core/error.h"
#include "solve/lapack.h"
#include "solve/orth.h"
#include "solve/svds.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The longest run of neighbouring Ritz values one cluster bound covers:
 * close pairs and triples are what occur; longer runs only lose to the
 * gaps inside them, and the cost grows as m CLUSTER^2. */
enum { CLUSTER = 16 };

typedef struct refine {
  js_linop *op;
  int outputs;               /* X on the outputs side: J^T takes it across */
  int64_t n, o, m;           /* X's side, the other side, vectors */
  double *x, *z, *y;         /* n x m, o x m (the result's arrays), n x m */
  double *rf, *p, *wt, *w;   /* m x m: R, R's left singular vectors, W^T, W */
  double *scratch;           /* JS_ROTATE_ROWS x m: js_rotate_basis */
} refine;

static void refine_free(refine *f) {
  free(f->y);
  free(f->rf);
  free(f->p);
  free(f->wt);
  free(f->w);
  free(f->scratch);
}

size_t js_refine_memory_bytes(int64_t n, int64_t m) {
  /* Y, four m x m matrices, the rotation's scratch, and LAPACK's work:
   * dgesdd's 4 m^2 + 7 m (and 8 m ints), dgeqrf's m times its block. */
  size_t mm = (size_t)m * (size_t)m;
  return ((size_t)n * (size_t)m + 8 * mm + (size_t)JS_ROTATE_ROWS * (size_t)m +
          80 * (size_t)m) * sizeof(double);
}

/* out = J^T in (X's side to the other: across = 1 on the outputs side) or
 * J in, for the m vectors of a block; NaN or Inf is an error. */
static int product(refine *f, int across, const double *in, double *out) {
  int transpose = across == f->outputs;
  int status = transpose ? js_linop_apply_t(f->op, f->m, in, out)
                         : js_linop_apply(f->op, f->m, in, out);
  if (status == JS_OK)
    status = js_svds_check_finite(out, (across ? f->o : f->n) * f->m,
                                  "a refinement product J v or J^T u");
  return status;
}

/* The Rayleigh-Ritz step of the header: sigma (m), V in z, U in x. */
static int rayleigh_ritz(refine *f, double *sigma) {
  int m = (int)f->m, status;
  if ((status = product(f, 1, f->x, f->z)) ||
      (status = js_lapack_qr(f->z, (int)f->o, m, f->rf)) ||
      (status = js_lapack_svd(f->rf, m, m, sigma, f->p, f->wt)))
    return status;
  js_rotate_basis(f->z, f->o, f->m, f->p, f->m, f->scratch);
  for (int64_t i = 0; i < f->m; i++)
    for (int64_t t = 0; t < f->m; t++)
      f->w[i + t * f->m] = f->wt[t + i * f->m];
  js_rotate_basis(f->x, f->n, f->m, f->w, f->m, f->scratch);
  return JS_OK;
}

/* rho[s] = ||y_s - sigma_s x_s||. */
static void residual_norms(const refine *f, const double *sigma, double *rho) {
  for (int64_t s = 0; s < f->m; s++) {
    const double *x = f->x + s * f->n, *y = f->y + s * f->n;
    double sum = 0;
    for (int64_t i = 0; i < f->n; i++)
      sum += (y[i] - sigma[s] * x[i]) * (y[i] - sigma[s] * x[i]);
    rho[s] = sqrt(sum);
  }
}

/* bound[s] = the header's error bound of sigma_s (absolute), from the
 * residuals rho (m values, descending sigma), plus `rounding`. */
static void error_bounds(const double *sigma, const double *rho, int64_t m, double rounding,
                         double *bound) {
  for (int64_t s = 0; s < m; s++)
    bound[s] = rho[s] / sqrt(2.0);
  /* Runs [a, c] with a Ritz value below them (c + 1 < m). */
  for (int64_t a = 0; a + 1 < m; a++) {
    double above = a > 0 ? sigma[a - 1] - sigma[a] : INFINITY, sum = 0;
    for (int64_t c = a; c + 1 < m && c < a + CLUSTER; c++) {
      sum += rho[c] * rho[c] / 2;
      double below = sigma[c] - sigma[c + 1] - rho[c + 1] / sqrt(2.0);
      double delta = fmin(above, below);
      if (delta <= 0)
        continue;
      for (int64_t s = a; s <= c; s++)
        bound[s] = fmin(bound[s], sum / delta);
    }
  }
  /* Leading blocks [0, k - 1] (Li and Li's form): each sigma_s in one is
   * within 2 e^2 / (eta + sqrt(eta^2 + 4 e^2)) of an eigenvalue, e^2 = the
   * block's sum of b_t^2, eta = sigma_s less the largest eigenvalue of H
   * on the block's complement, at most lambda_{k+1} (interlacing), taken
   * as sigma_k + b_k. The gap is to the first value below the block, not
   * to the nearest one: what certifies a value inside a bulk. */
  double e2 = 0;
  for (int64_t k = 1; k < m; k++) {
    e2 += rho[k - 1] * rho[k - 1] / 2;
    double below = sigma[k] + rho[k] / sqrt(2.0);
    for (int64_t s = 0; s < k; s++) {
      double eta = sigma[s] - below;
      if (eta > 0)
        bound[s] = fmin(bound[s], 2 * e2 / (eta + sqrt(eta * eta + 4 * e2)));
    }
  }
  for (int64_t s = 0; s < m; s++)
    bound[s] += rounding;
}

int js_refine(js_linop *op, const js_svds_options *opt, int64_t r, double tol,
              js_svds_result *res) {
  int outputs = res->side == JS_SIDE_OUTPUTS;
  refine f = {.op = op, .outputs = outputs, .m = res->rank,
              .n = outputs ? res->local_rows : res->cols,
              .o = outputs ? res->cols : res->local_rows,
              .x = outputs ? res->u : res->v, .z = outputs ? res->v : res->u};
  double *rho = outputs ? res->residual_u : res->residual_v;
  double *exact = outputs ? res->residual_v : res->residual_u;
  res->refined = 1;
  res->refine_steps = 0;
  res->max_error_bound = 0;
  if (res->rank < r)
    r = res->rank;
  if (f.m == 0)
    return JS_OK;
  if (js_linop_comm(op)->size > 1)
    return js_fail(JS_EINVAL, "svds: the refinement of a fast operator's triplets runs on one "
                   "process (J is split across %d ranks)", js_linop_comm(op)->size);
  if (f.n > INT_MAX || f.o > INT_MAX)
    return js_fail(JS_ELIMIT, "svds: the refinement's QR of %lld x %lld vectors exceeds "
                   "LAPACK's 32-bit sizes", (long long)(f.n > f.o ? f.n : f.o),
                   (long long)f.m);
  size_t mm = (size_t)f.m * (size_t)f.m;
  f.y = js_alloc((size_t)f.n * (size_t)f.m, sizeof(double), "refinement block J V");
  f.rf = js_alloc(mm, sizeof(double), "refinement R");
  f.p = js_alloc(mm, sizeof(double), "refinement SVD");
  f.wt = js_alloc(mm, sizeof(double), "refinement SVD");
  f.w = js_alloc(mm, sizeof(double), "refinement rotation");
  f.scratch = js_alloc((size_t)JS_ROTATE_ROWS * (size_t)f.m, sizeof(double),
                       "refinement rotation");
  int status = JS_ENOMEM;
  if (!f.y || !f.rf || !f.p || !f.wt || !f.w || !f.scratch)
    goto done;
  double target = tol > DBL_EPSILON ? tol : DBL_EPSILON, worst = INFINITY, previous = INFINITY;
  /* sigma_s this small is zero to working precision (numerical rank): no
   * relative accuracy to reach. */
  double larger = (double)(res->rows > res->cols ? res->rows : res->cols);
  double zero = larger * DBL_EPSILON;
  /* The bounds are those of the exact Ritz values; the products and the
   * SVD carry rounding errors of about eps sigma_1 times the square root
   * of the products' length (an inner product's typical error). */
  double rounding = sqrt(larger) * DBL_EPSILON;
  for (int64_t step = 0;; step++) {
    if (js_cancel_requested()) {
      status = js_fail(JS_ECANCELED, "svds: interrupted in the refinement after %lld steps",
                       (long long)step);
      goto done;
    }
    if ((status = rayleigh_ritz(&f, res->sigma)) || (status = product(&f, 0, f.z, f.y)))
      goto done;
    residual_norms(&f, res->sigma, rho);
    error_bounds(res->sigma, rho, f.m, rounding * res->sigma[0], res->error_bound);
    worst = 0;
    for (int64_t s = 0; s < r; s++)
      if (res->sigma[s] > zero * res->sigma[0])
        worst = fmax(worst, res->error_bound[s] / res->sigma[s]);
    res->refine_steps = step;
    if (opt->progress) {
      js_progress p = {.stage = "refine", .done = step + 1, .restarts = -1,
                       .converged = -1, .wanted = r};
      opt->progress(opt->progress_ctx, &p);
    }
    /* Subspace iteration contracts by a steady factor once the noise of
     * the fast products is gone (the first step removes most of it): stop
     * as soon as that factor cannot reach the target within the cap. */
    double rate = step > 0 && worst < previous ? worst / previous : 1;
    int hopeless = step > 0 && (rate >= 1 || log(target / worst) / log(rate) >
                                                 (double)(JS_REFINE_MAX_STEPS - step));
    if (worst <= target || hopeless || step == JS_REFINE_MAX_STEPS)
      break;
    previous = worst;
    if ((status = js_lapack_qr(f.y, (int)f.n, (int)f.m, f.rf)))
      goto done;
    memcpy(f.x, f.y, sizeof(double) * (size_t)f.n * (size_t)f.m);
  }
  /* The result's conventions: residuals relative to lambda_1, bounds to
   * sigma_s (Inf for a zero one, which the numerical rank drops). */
  double scale = res->sigma[0] > 0 ? res->sigma[0] : 1.0;
  for (int64_t s = 0; s < f.m; s++) {
    rho[s] /= scale;
    exact[s] = 0;
    res->error_bound[s] = res->sigma[s] > 0 ? res->error_bound[s] / res->sigma[s] : INFINITY;
  }
  res->rank = r;
  res->max_error_bound = worst;
  status = worst <= target ? JS_OK
                           : js_fail(JS_ENOCONV, "svds: the refinement reached a relative "
                                     "error bound of %.3g after %lld subspace-iteration "
                                     "steps, short of tol %.3g (double precision reaches it)",
                                     worst, (long long)res->refine_steps, target);
done:
  refine_free(&f);
  return status;
}

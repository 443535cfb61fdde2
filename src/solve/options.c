/* Solver options: the defaults and the checks both SVD paths run before
 * any product with J. */
#include "solve/svds.h"

#include "core/error.h"
#include "solve/gram.h"

#include <limits.h>
#include <math.h>

/* The number of triplets cut-off mode starts from when opt->top is unset. */
enum { CUTOFF_FIRST_RANK = 10 };

void js_svds_options_init_defaults(js_svds_options *opt) {
  *opt = (js_svds_options){
      .top = 10,
      .smallest = 0,
      .method = JS_SVDS_AUTO,
      .cutoff = 0.0,
      .side = JS_SIDE_AUTO,
      /* The relative accuracy of each singular value (js_svds_arpack_tol):
       * what the tests check against LAPACK (tests/test_svds.c). */
      .tol = 1e-10,
      .ncv = 0,
      .max_iter = 1000,
      .seed = 1,
      .want_vectors = 1,
      .dense_limit = (size_t)1 << 30,
      .gram = NULL,
      .fast = NULL,
      .progress = NULL,
      .progress_ctx = NULL,
  };
}

/* ARPACK accepts a Ritz pair (theta, x) of G when its residual rho =
 * ||G x - theta x|| is at most tau theta. Some eigenvalue of G then lies
 * within rho of theta, and within rho^2 / delta when the rest of the
 * spectrum is delta away (Kato-Temple): with theta = sigma^2, the relative
 * error of sigma is at most tau / 2, and to first order tau^2 theta /
 * (2 delta). tau = sqrt(2 t GAP) meets t for relative gaps delta / theta
 * >= GAP; Lanczos's superlinear convergence leaves the residuals far below
 * tau theta where restarts stop (README: measured errors and products).
 * t = 0 is ARPACK's machine precision. */
#define GAP 1e-2

double js_svds_arpack_tol(double t) { return sqrt(2.0 * t * GAP); }

/* Lanczos needs r < n (ARPACK: nev < ncv <= n); the dense SVD has them all. */
static int check_rank(int64_t r, int64_t min_dim, int dense) {
  if (r < 1 || r > min_dim - !dense)
    return js_fail(JS_EINVAL,
                   "svds: %lld singular triplets requested: r must be at least 1 "
                   "and %s min(nK, p) = %lld",
                   (long long)r, dense ? "at most" : "below", (long long)min_dim);
  return JS_OK;
}

int64_t js_svds_first_rank(const js_svds_options *opt, int64_t min_dim) {
  int64_t r = opt->top;
  if (opt->cutoff > 0) {
    if (r <= 0)
      r = CUTOFF_FIRST_RANK;
    if (r > min_dim - 1)
      r = min_dim - 1;
  }
  return r;
}

js_svds_method js_svds_first_method(const js_svds_options *opt) {
  if (opt->method != JS_SVDS_AUTO)
    return opt->method;
  return opt->smallest ? JS_SVDS_GKL : JS_SVDS_GRAM;
}

int js_svds_check(js_linop *op, const js_svds_options *opt, js_svds_result **out,
                  int dense, int64_t *n_triplets) {
  if (!out)
    return js_fail(JS_EINVAL, "svds: the result pointer is NULL");
  *out = NULL;
  if (!op || !opt)
    return js_fail(JS_EINVAL, "svds: %s is NULL", op ? "the options" : "the operator");
  if (!(opt->tol >= 0 && isfinite(opt->tol)))
    return js_fail(JS_EINVAL, "svds: tolerance %g must be finite and >= 0", opt->tol);
  if (opt->max_iter < 1 || opt->max_iter > INT_MAX)
    return js_fail(JS_EINVAL, "svds: max_iter = %lld must be in [1, %d]",
                   (long long)opt->max_iter, INT_MAX);
  if (opt->ncv < 0)
    return js_fail(JS_EINVAL, "svds: ncv = %lld must be >= 0 (0: automatic)",
                   (long long)opt->ncv);
  if (isnan(opt->cutoff) || isinf(opt->cutoff))
    return js_fail(JS_EINVAL, "svds: cut-off %g must be finite", opt->cutoff);
  if (opt->smallest && opt->cutoff > 0)
    return js_fail(JS_EINVAL, "svds: the smallest singular values take a count, not a "
                              "cut-off");
  if (opt->side != JS_SIDE_AUTO && opt->side != JS_SIDE_OUTPUTS &&
      opt->side != JS_SIDE_PARAMS)
    return js_fail(JS_EINVAL, "svds: side %d is not auto, outputs or params",
                   (int)opt->side);
  int64_t rows = js_linop_global_rows(op), cols = js_linop_cols(op);
  int64_t min_dim = rows < cols ? rows : cols;
  if ((int)opt->method < JS_SVDS_AUTO || opt->method > JS_SVDS_DENSE)
    return js_fail(JS_EINVAL, "svds: method %d is not auto, gram, gkl or dense",
                   (int)opt->method);
  /* The larger Gram matrix has |rows - cols| zero eigenvalues of its own
   * (GKL starts on the smaller side whatever the side). */
  if (opt->smallest && !dense && opt->method == JS_SVDS_GRAM && opt->side != JS_SIDE_AUTO &&
      opt->side != js_gram_side_of(rows, cols, JS_SIDE_AUTO))
    return js_fail(JS_EINVAL, "svds: the smallest singular values need the smaller Gram "
                              "side (side auto): the other has min(nK, p) < n and zero "
                              "eigenvalues of its own");
  if (opt->fast && (js_linop_global_rows(opt->fast) != rows || js_linop_cols(opt->fast) != cols))
    return js_fail(JS_EINVAL, "svds: the fast operator is %lld x %lld, J is %lld x %lld",
                   (long long)js_linop_global_rows(opt->fast),
                   (long long)js_linop_cols(opt->fast), (long long)rows, (long long)cols);
  if (opt->fast && (dense || opt->smallest || opt->method == JS_SVDS_GKL))
    return js_fail(JS_EINVAL, "svds: a fast operator serves the top triplets by Lanczos on "
                   "the Gram side (method auto or gram), not %s",
                   opt->smallest ? "the smallest" : dense ? "the dense SVD" : "GKL");
  int64_t r = js_svds_first_rank(opt, min_dim);
  int status = check_rank(r, min_dim, dense);
  if (status == JS_OK)
    *n_triplets = r;
  return status;
}

/* js_svds: singular triplets of J by Lanczos on the Gram operator of the
 * smaller side (doc/DESIGN.md section 3) or by GKL on J itself, chosen by
 * opt->method. In cut-off mode the number of triplets doubles until the
 * smallest one found falls to alpha or below. */
#include "solve/arpack.h"
#include "solve/gkl.h"
#include "solve/gram.h"
#include "solve/refine.h"
#include "solve/svds.h"

#include "core/comm.h"
#include "core/error.h"

#include <stdlib.h>

/* ncv: the user's if it still exceeds r (cut-off mode may outgrow it),
 * else min(max(2r + 1, 20), n) (256 in place of 20 for the smallest). */
static int64_t basis_size(const js_svds_options *opt, int64_t r, int64_t n) {
  if (opt->ncv > r)
    return opt->ncv;
  /* The smallest sit in a cluster near 0 of relative width theta / lambda_1^2,
   * which restarted Lanczos separates slowly: a large basis (all of a small
   * Gram matrix) converges where 20 vectors stall (tests/test_svds.c). */
  int64_t least = opt->smallest ? 256 : 20;
  int64_t ncv = 2 * r + 1 > least ? 2 * r + 1 : least;
  return ncv < n ? ncv : n;
}

/* A request reaching below this times lambda_1 goes to GKL under AUTO: the
 * Gram side's error eps lambda_1^2 / lambda is 2e-12 relative here and grows
 * as lambda falls (README, accuracy by method). */
#define GKL_BELOW 1e-4

/* Guard triplets a solve with a fast operator finds and refines beside the
 * r wanted: the error bound of the last wanted needs a refined neighbour
 * below (two for a close pair there, three for a triple: solve/refine.c);
 * more did not make the bounds smaller (README, "Mixed precision"). */
enum { FAST_GUARDS = 3 };

/* The Lanczos on a fast operator is run to the accuracy asked of sigma,
 * but no further than this: its products carry errors of about 3e-7, and
 * past that ARPACK's estimates would go on improving while the vectors do
 * not (measured: 1e-12 to 1e-6 took the same products on Fashion-MNIST). */
#define FAST_TOL_FLOOR 1e-12

/* One solve. */
typedef struct solve {
  js_linop *op;               /* the operator Lanczos multiplies by: opt->fast or J */
  const js_svds_options *opt;
  js_gram g;
  js_svds_method method; /* GRAM or GKL */
  int64_t guards;        /* extra triplets asked of Lanczos (fast operator) */
} solve;

/* One solve for r triplets into a fresh result. The Gram side gives sigma
 * and that side's vectors (u on the outputs side, v on the params side),
 * from shift I - G for the smallest; GKL gives both sides. scale = lambda_1
 * for the smallest (0: the top). */
static int solve_rank(solve *sv, const js_svds_options *opt, int64_t r, double scale,
                      js_svds_result **out) {
  if (sv->method == JS_SVDS_GRAM) /* guards of a fast operator's solve */
    r += r + sv->guards < sv->g.n_global ? sv->guards : sv->g.n_global - 1 - r;
  int status = js_comm_agree(js_linop_comm(sv->op),
                             js_svds_result_alloc(sv->op, r, sv->g.side, out));
  if (status)
    return status;
  js_svds_result *res = *out;
  res->method = sv->method;
  if (sv->method == JS_SVDS_GKL) {
    int64_t rows = js_linop_global_rows(sv->op), cols = js_linop_cols(sv->op);
    int64_t k = basis_size(opt, r, rows < cols ? rows : cols);
    return js_gkl(sv->op, opt, r, k, scale, res);
  }
  double *x = sv->g.side == JS_SIDE_OUTPUTS ? res->u : res->v;
  /* The smallest: from 1.01^2 lambda_1^2 I - G (arpack.h). */
  double shift = opt->smallest ? 1.0201 * scale * scale : 0.0;
  return js_arpack_top(&sv->g, r, basis_size(opt, r, sv->g.n_global), opt, shift, res->sigma, x,
                       &res->rank, &res->iterations);
}

/* lambda_1 alone (the residuals' scale for the smallest): one top-1 solve. */
static int largest(solve *sv, double *sigma_1) {
  js_svds_options top = *sv->opt;
  top.smallest = 0;
  top.top = 1;
  js_svds_result *res = NULL;
  int status = solve_rank(sv, &top, 1, 0.0, &res);
  *sigma_1 = status == JS_OK && res->rank > 0 ? res->sigma[0] : 0.0;
  js_svds_result_free(res);
  return status;
}

/* AUTO's switch: the Gram side's triplets (or the cut-off) reach below
 * GKL_BELOW lambda_1. */
static int reaches_small(const js_svds_result *res, const js_svds_options *opt) {
  if (opt->method != JS_SVDS_AUTO || opt->fast || res->method != JS_SVDS_GRAM ||
      res->rank == 0)
    return 0;
  double lowest = opt->cutoff > 0 ? opt->cutoff : res->sigma[res->rank - 1];
  return lowest < GKL_BELOW * res->sigma[0];
}

/* After Lanczos with the explicit G: *gram_u = G U for the residuals, the
 * right vectors only if wanted (one block of J^T products), and G checked
 * against J (J^T z). */
static int explicit_side(solve *sv, js_svds_result *res, double **gram_u) {
  *gram_u = js_alloc((size_t)sv->g.n * (size_t)res->rank, sizeof(double),
                     "svds: G U for the residuals");
  if (!*gram_u)
    return JS_ENOMEM;
  int right = sv->opt->want_vectors == JS_VECTORS_ALL;
  return js_gram_explicit_side(&sv->g, res->rank, res->u, *gram_u, right ? res->v : NULL,
                               res->residual_v, sv->opt->seed, &res->gram_check);
}

int js_svds(js_linop *op, const js_svds_options *opt, js_svds_result **out) {
  if (opt && opt->method == JS_SVDS_DENSE)
    return js_svds_dense(op, opt, out);
  int64_t r;
  int status = js_svds_check(op, opt, out, 0, &r);
  if (status)
    return status;
  int64_t rows = js_linop_global_rows(op), cols = js_linop_cols(op);
  int64_t max_rank = (rows < cols ? rows : cols) - 1;
  solve sv = {.op = op, .opt = opt, .method = js_svds_first_method(opt)};
  int64_t n = sv.method == JS_SVDS_GKL ? max_rank + 1
              : js_gram_side(op, opt->side) == JS_SIDE_OUTPUTS ? rows
                                                              : cols;
  if (opt->ncv != 0 && (opt->ncv <= r || opt->ncv > n))
    return js_fail(JS_EINVAL,
                   "svds: ncv = %lld must be in (r, n] = (%lld, %lld], n the size "
                   "of the Gram matrix (min(nK, p) for GKL)",
                   (long long)opt->ncv, (long long)r, (long long)n);

  js_svds_meter meter;
  js_svds_meter_start(&meter, op);
  js_svds_result *res = NULL;
  double *gram_u = NULL; /* G U from the explicit G */
  int64_t restarts = 0;
  double scale = 0;
  int64_t gram_start = opt->gram ? js_linop_apply_count(opt->gram) : 0;
  /* With a fast operator Lanczos multiplies by it (or by an explicit G),
   * to what its products can reach; the refinement then works on op. */
  js_linop *fast = opt->fast;
  int64_t fast_start[2] = {fast ? js_linop_apply_count(fast) : 0,
                           fast ? js_linop_apply_t_count(fast) : 0};
  js_svds_options lanczos = *opt;
  if (fast) {
    sv.op = fast;
    sv.guards = FAST_GUARDS;
    lanczos.tol = opt->tol > FAST_TOL_FLOOR ? opt->tol : FAST_TOL_FLOOR;
  }
  if ((status = js_gram_init(&sv.g, sv.op, opt->side)) ||
      (sv.method == JS_SVDS_GRAM && (status = js_gram_use_explicit(&sv.g, opt->gram))) ||
      (opt->smallest && (status = largest(&sv, &scale))))
    goto done;
  for (;;) {
    js_svds_result_free(res);
    res = NULL;
    status = solve_rank(&sv, &lanczos, r, scale, &res);
    if (res)
      restarts += res->iterations;
    if ((status == JS_OK || status == JS_ENOCONV) && reaches_small(res, opt)) {
      sv.method = JS_SVDS_GKL; /* the same r again, on J itself */
      continue;
    }
    if (status || opt->cutoff <= 0 || r == max_rank || res->sigma[r - 1] <= opt->cutoff)
      break;
    r = 2 * r < max_rank ? 2 * r : max_rank;
  }
  if (status != JS_OK && status != JS_ENOCONV)
    goto done;
  int converged = status; /* JS_OK or JS_ENOCONV, whose message stays */
  if (fast) {
    int refined = js_refine(op, opt, r, opt->tol, res);
    res->requested = r;
    if (refined != JS_OK && refined != JS_ENOCONV) {
      status = refined;
      goto done;
    }
    converged = converged == JS_OK ? refined : converged;
  }
  res->scale = scale;
  res->iterations = restarts;
  res->converged = converged == JS_OK;
  if (opt->cutoff > 0) {
    /* Partial results need not contain lambda_1: no verdict on alpha then. */
    if (converged == JS_OK && (status = js_svds_check_cutoff(res, opt->cutoff)))
      goto done;
    js_svds_keep_above(res, opt->cutoff);
  }
  int outputs = sv.g.side == JS_SIDE_OUTPUTS;
  double *x = outputs ? res->u : res->v, *y = outputs ? res->v : res->u;
  /* The norms ||J^T u_s|| or ||J v_s|| go where the other side's residuals
   * will be: finish turns each into its residual, entry by entry, which
   * saves the r products that would recompute them. GKL and its two bases
   * measure both residuals by products; the refinement made both sides. */
  double *norm = NULL;
  if (sv.method == JS_SVDS_GRAM && !fast) {
    norm = outputs ? res->residual_v : res->residual_u;
    if (res->rank > 0 && sv.g.explicit_g)
      status = explicit_side(&sv, res, &gram_u);
    else if (res->rank > 0)
      status = js_gram_other_side(&sv.g, res->rank, x, y, norm);
    if (status)
      goto done;
  }
  if ((status = js_svds_finish(op, opt, &meter, norm, gram_u, res)))
    goto done;
  res->n_gram = opt->gram ? js_linop_apply_count(opt->gram) - gram_start : 0;
  if (fast) {
    res->n_fast_apply = js_linop_apply_count(fast) - fast_start[0];
    res->n_fast_apply_t = js_linop_apply_t_count(fast) - fast_start[1];
  }
  status = converged;
done:
  if (status != JS_OK && status != JS_ENOCONV) {
    js_svds_result_free(res);
    res = NULL;
  }
  js_gram_free(&sv.g);
  free(gram_u);
  *out = res;
  return status;
}

size_t js_svds_memory_bytes(const js_svds_options *opt, int64_t rows, int64_t cols) {
  if (!opt || rows < 1 || cols < 1)
    return 0;
  int64_t min_dim = rows < cols ? rows : cols;
  /* An out-of-range rank is refused by the solve itself; count a valid one. */
  int64_t r = js_svds_first_rank(opt, min_dim);
  if (r > min_dim - 1)
    r = min_dim - 1;
  if (r < 1)
    r = 1;
  int outputs = js_gram_side_of(rows, cols, opt->side) == JS_SIDE_OUTPUTS;
  size_t n = (size_t)(outputs ? rows : cols), m = (size_t)(outputs ? cols : rows);
  /* On the Gram side a fast operator's solve (opt->fast, or one to come:
   * plans are made before the operators) takes FAST_GUARDS triplets more
   * and ends with the refinement's block and small matrices instead of
   * the check: counted either way, as AUTO counts GKL. */
  int gram_side = !opt->smallest && opt->method != JS_SVDS_GKL;
  int64_t rg = r + FAST_GUARDS < (int64_t)n ? r + FAST_GUARDS : (int64_t)n - 1;
  if (!gram_side || rg < r)
    rg = r;
  /* ARPACK (arpack.c): basis (which takes the Ritz vectors), resid and workd, workl; the Gram
   * scratch. GKL (gkl.c): both bases and its small matrices. The result's u
   * and v; the residual check at the end, after the solver's arrays are
   * freed, holds one product block (Gram: J V or G U, rows x r, on the
   * outputs side, J^T U, cols x r, on the params side) or both (GKL): the larger of
   * the two phases counts. */
  size_t ncv = (size_t)basis_size(opt, rg, (int64_t)n);
  size_t lanczos = (n * (ncv + 4) + ncv * (ncv + 8) + m) * sizeof(double);
  size_t gkl = js_gkl_memory_bytes(rows, cols, basis_size(opt, r, min_dim)) +
               m * sizeof(double);
  size_t larger = lanczos > gkl ? lanczos : gkl;
  size_t solver = opt->method == JS_SVDS_GKL ? gkl
                  : opt->method != JS_SVDS_AUTO ? lanczos /* dense: as before, uncounted */
                  : opt->smallest ? gkl
                                  : larger; /* AUTO may switch to GKL */
  size_t triplets = (size_t)(rows + cols) * (size_t)rg * sizeof(double);
  size_t check = (opt->method == JS_SVDS_GRAM ? n : (size_t)(rows + cols)) * (size_t)r *
                 sizeof(double);
  size_t refine = gram_side ? js_refine_memory_bytes((int64_t)n, rg) : 0;
  if (refine > check)
    check = refine;
  size_t phase = solver > check ? solver : check;
  return triplets + phase;
}

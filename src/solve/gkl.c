/* Thick-restarted Golub-Kahan-Lanczos bidiagonalisation (solve/gkl.h).
 *
 * One cycle extends the factorisation from column l to k:
 *   A P_k = Q_k B_k,   A^T Q_k = P_k B_k^T + beta_k p_{k+1} e_k^T,
 * each new q_j = A p_j and p_{j+1} = A^T q_j orthogonalised against the
 * whole of its basis twice (solve/orth.h). B_k = Q_k^T A P_k is stored in
 * full and filled with the Gram-Schmidt coefficients of the q step, so it
 * is the projection of A whatever the restart left in it: bidiagonal from
 * a fresh start, diagonal plus one column after a thick restart (Baglama
 * and Reichel's augmented form). With B_k = U diag(s) V^T (LAPACK dgesdd),
 * the Ritz triplets (s_i, Q_k U e_i, P_k V e_i) satisfy A v = s u exactly
 * and ||A^T u - s v|| = |beta_k U(k, i)|, the convergence test. A restart
 * keeps the l wanted Ritz vectors and p_{k+1}:
 *   P <- [P_k V_l, p_{k+1}],  Q <- Q_k U_l,  B <- diag(s_l),
 * whose next q step recovers the coupling column beta_k U(k, 1..l).
 *
 * Under MPI (a row-distributed operator, jacspec.h's js_comm) the outputs
 * side's basis, q (A = J) or p (A = J^T), holds this rank's rows only: its
 * Gram-Schmidt coefficients and norms are summed over the ranks, so B and
 * its SVD are the same on every rank, and random vectors are drawn by
 * global index (core/rng.h), the same on any number of ranks. */
#include "solve/gkl.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "core/rng.h"
#include "solve/lapack.h"
#include "solve/orth.h"
#include "solve/svds.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A new direction's norm below this times ||B|| is rounding: the Krylov
 * space is invariant there and a random direction continues it. Dropping
 * the coupling perturbs B by at most this, far below the 1e-6 relative
 * accuracy sought down to 1e-8 sigma_1 (measured, README). */
#define INVARIANT (16 * DBL_EPSILON)

typedef struct gkl {
  js_linop *op;
  const js_svds_options *opt;
  int flip;          /* A = J^T */
  int64_t m, n, k;   /* A is m x n (this rank's rows of the outputs side), basis of k */
  int64_t m_off, n_off;     /* the first global index of those rows (0: whole) */
  int64_t n_global;         /* n over all ranks */
  const js_comm *comm;      /* the operator's */
  const js_comm *mcomm, *ncomm; /* the reductions over m and n: comm or serial */
  double *p;         /* n x (k + 1): right basis, p_{k+1} last */
  double *q;         /* m x k: left basis */
  double *b;         /* k x k, column-major: B = Q^T A P */
  double *bsvd;      /* k x k: B's copy for dgesdd (destroyed) */
  double *s, *ub, *vtb; /* B = ub diag(s) vtb */
  double *sel;       /* k x k: the chosen columns of ub or of vtb^T */
  double *coef, *h;  /* k + 1 each: Gram-Schmidt coefficients and scratch */
  double *scratch;   /* JS_ROTATE_ROWS x k */
  double beta;       /* ||A^T q_k - P_k B^T e_k||: the residual direction's norm */
  double anorm;      /* largest alpha, beta seen: an estimate of ||A|| */
  int64_t products;  /* pairs of products (one A, one A^T) so far */
  int64_t restarts, converged; /* so far; converged: a prefix of the wanted */
  int64_t wanted;    /* r */
  uint64_t draws;    /* random vectors drawn so far (each its own stream) */
} gkl;

static void gkl_free(gkl *g) {
  free(g->p);
  free(g->q);
  free(g->b);
  free(g->bsvd);
  free(g->s);
  free(g->ub);
  free(g->vtb);
  free(g->sel);
  free(g->coef);
  free(g->h);
  free(g->scratch);
}

static int gkl_init(gkl *g, js_linop *op, const js_svds_options *opt, int64_t k) {
  memset(g, 0, sizeof *g);
  g->op = op;
  g->opt = opt;
  int64_t rows = js_linop_rows(op), cols = js_linop_cols(op);
  int64_t grows = js_linop_global_rows(op), offset = js_linop_row_offset(op);
  g->comm = js_linop_comm(op);
  g->flip = grows < cols; /* decided on global sizes: the same on every rank */
  g->m = g->flip ? cols : rows;
  g->n = g->flip ? rows : cols;
  g->m_off = g->flip ? 0 : offset;
  g->n_off = g->flip ? offset : 0;
  g->n_global = g->flip ? grows : cols;
  g->mcomm = g->flip ? js_comm_serial() : g->comm;
  g->ncomm = g->flip ? g->comm : js_comm_serial();
  g->k = k;
  size_t kk = (size_t)k * (size_t)k;
  g->p = js_alloc((size_t)g->n * (size_t)(k + 1), sizeof(double), "GKL right basis");
  g->q = js_alloc((size_t)g->m * (size_t)k, sizeof(double), "GKL left basis");
  g->b = js_alloc(kk, sizeof(double), "GKL projection B");
  g->bsvd = js_alloc(kk, sizeof(double), "GKL projection B");
  g->s = js_alloc((size_t)k, sizeof(double), "GKL Ritz values");
  g->ub = js_alloc(kk, sizeof(double), "GKL Ritz vectors of B");
  g->vtb = js_alloc(kk, sizeof(double), "GKL Ritz vectors of B");
  g->sel = js_alloc(kk, sizeof(double), "GKL restart vectors");
  g->coef = js_alloc((size_t)k + 1, sizeof(double), "GKL coefficients");
  g->h = js_alloc((size_t)k + 1, sizeof(double), "GKL coefficients");
  g->scratch = js_alloc((size_t)JS_ROTATE_ROWS * (size_t)k, sizeof(double), "GKL restart");
  int have = g->p && g->q && g->b && g->bsvd && g->s && g->ub && g->vtb && g->sel &&
             g->coef && g->h && g->scratch;
  int status = js_comm_agree(g->comm, have ? JS_OK : JS_ENOMEM);
  if (status)
    gkl_free(g);
  return status;
}

size_t js_gkl_memory_bytes(int64_t rows, int64_t cols, int64_t k) {
  size_t kk = (size_t)k * (size_t)k;
  /* The bases, five k x k matrices, the restart scratch, dgesdd's work
   * (about 7 k^2 + 4 k doubles and 8 k ints). */
  size_t doubles = (size_t)rows * (size_t)(k + 1) + (size_t)cols * (size_t)(k + 1) +
                   12 * kk + (size_t)JS_ROTATE_ROWS * (size_t)k + 16 * (size_t)k;
  return doubles * sizeof(double);
}

/* y = A x (m) or, transposed, A^T x (n): one product with J or J^T. */
static int product(gkl *g, int transpose, const double *x, double *y) {
  int with_jt = transpose != g->flip;
  int status = with_jt ? js_linop_apply_t(g->op, 1, x, y) : js_linop_apply(g->op, 1, x, y);
  if (status == JS_OK)
    status = js_svds_check_finite(y, transpose ? g->n : g->m,
                                  "a product J v or J^T u");
  return js_comm_agree(g->comm, status);
}

/* w (len) = a random unit vector orthogonal to the count columns of basis:
 * where the Krylov space became invariant, another start continues it. */
static void draw(gkl *g, int64_t len, int64_t offset, double *w) {
  uint64_t seed = js_rng_key(g->opt->seed, g->draws++);
  for (int64_t i = 0; i < len; i++)
    w[i] = js_rng_normal_at(seed, (uint64_t)(offset + i));
}

/* side: 0 for the m side (q), 1 for the n side (p). */
static void random_direction(gkl *g, int side, int64_t count, const double *basis,
                             double *w) {
  int64_t len = side ? g->n : g->m;
  const js_comm *comm = side ? g->ncomm : g->mcomm;
  for (int attempt = 0; attempt < 3; attempt++) {
    draw(g, len, side ? g->n_off : g->m_off, w);
    js_scal(len, 1.0 / js_comm_nrm2(comm, len, w), w);
    js_orthogonalise(comm, len, count, basis, w, g->coef, g->h);
    double norm = js_comm_nrm2(comm, len, w);
    if (norm > 0.5) { /* well away from the basis: a direction to trust */
      js_scal(len, 1.0 / norm, w);
      return;
    }
  }
  /* count = len (the basis spans everything): no direction is left, and the
   * zero vector keeps B exact. */
  memset(w, 0, sizeof(double) * (size_t)len);
}

/* Lanczos steps j = l .. k-1 from p_l (a unit vector orthogonal to p_0 ..
 * p_{l-1}; B's columns 0 .. l-1 set). */
static int extend(gkl *g, int64_t l) {
  int64_t m = g->m, n = g->n, k = g->k;
  for (int64_t j = l; j < k; j++) {
    double *pj = g->p + j * n, *qj = g->q + j * m, *next = pj + n;
    int status = product(g, 0, pj, qj);
    if (status)
      return status;
    js_orthogonalise(g->mcomm, m, j, g->q, qj, g->coef, g->h);
    double *bj = g->b + j * k; /* column j of B: q_i^T A p_j */
    memset(bj, 0, sizeof(double) * (size_t)k);
    memcpy(bj, g->coef, sizeof(double) * (size_t)j);
    double alpha = js_comm_nrm2(g->mcomm, m, qj);
    if (alpha > g->anorm)
      g->anorm = alpha;
    if (alpha <= INVARIANT * g->anorm) { /* A p_j lies in span(Q): q_j is free */
      alpha = 0;
      random_direction(g, 0, j, g->q, qj);
    } else {
      js_scal(m, 1.0 / alpha, qj);
    }
    bj[j] = alpha;
    if ((status = product(g, 1, qj, next)))
      return status;
    js_orthogonalise(g->ncomm, n, j + 1, g->p, next, g->coef, g->h);
    double beta = js_comm_nrm2(g->ncomm, n, next);
    if (hypot(alpha, beta) > g->anorm)
      g->anorm = hypot(alpha, beta);
    /* Invariant (always so once the basis spans all n): B is exact there. */
    if (beta <= INVARIANT * g->anorm || j + 1 == g->n_global) {
      beta = 0;
      random_direction(g, 1, j + 1, g->p, next);
    } else {
      js_scal(n, 1.0 / beta, next);
    }
    g->beta = beta;
    g->products++;
    if (g->opt->progress) {
      js_progress p = {.stage = "gkl", .done = g->products, .restarts = g->restarts,
                       .converged = g->converged, .wanted = g->wanted};
      g->opt->progress(g->opt->progress_ctx, &p);
    }
  }
  return JS_OK;
}

/* Column t of the wanted Ritz triplets: the t-th largest or smallest. */
static int64_t wanted(const gkl *g, int64_t t) {
  return g->opt->smallest ? g->k - 1 - t : t;
}

/* B's SVD and the convergence test: g->converged = the length of the
 * prefix of the r wanted whose residual bound is below the threshold (a
 * triplet is returned only with the ones before it, as ARPACK's are). */
static int ritz(gkl *g, int64_t r, double scale) {
  int64_t k = g->k;
  memcpy(g->bsvd, g->b, sizeof(double) * (size_t)(k * k));
  int status = js_lapack_svd(g->bsvd, (int)k, (int)k, g->s, g->ub, g->vtb);
  if (status)
    return status;
  /* A triplet's residual bounds the error of its sigma: tol / 100 of sigma_1
   * gives tol relative down to sigma_1 / 100, and far more in practice, the
   * small ones to about eps sigma_1 at the default (README). */
  double tol = fmax(g->opt->tol / 100, DBL_EPSILON) * (scale > 0 ? scale : g->s[0]);
  g->converged = 0;
  while (g->converged < r &&
         fabs(g->beta * g->ub[(k - 1) + wanted(g, g->converged) * k]) <= tol)
    g->converged++;
  return JS_OK;
}

/* sel (k x count) = the columns wanted(first .. first + count - 1) of U
 * (left = 1) or of V = vtb^T. */
static void select_vectors(gkl *g, int left, int64_t count) {
  int64_t k = g->k;
  for (int64_t t = 0; t < count; t++) {
    int64_t c = wanted(g, t);
    for (int64_t i = 0; i < k; i++)
      g->sel[i + t * k] = left ? g->ub[i + c * k] : g->vtb[c + i * k];
  }
}

/* Thick restart on the l wanted Ritz triplets (solve/gkl.c's header). */
static void restart(gkl *g, int64_t l) {
  int64_t k = g->k, n = g->n;
  select_vectors(g, 1, l);
  js_rotate_basis(g->q, g->m, k, g->sel, l, g->scratch);
  select_vectors(g, 0, l);
  js_rotate_basis(g->p, n, k, g->sel, l, g->scratch);
  memcpy(g->p + l * n, g->p + k * n, sizeof(double) * (size_t)n);
  memset(g->b, 0, sizeof(double) * (size_t)(k * k));
  for (int64_t t = 0; t < l; t++)
    g->b[t + t * k] = g->s[wanted(g, t)];
}

/* The converged triplets into res, in order: J's u and v from A's left and
 * right Ritz vectors (swapped when A = J^T). */
static void extract(gkl *g, int64_t count, js_svds_result *res) {
  int64_t k = g->k;
  double *left = g->flip ? res->v : res->u, *right = g->flip ? res->u : res->v;
  for (int64_t t = 0; t < count; t++)
    res->sigma[t] = g->s[wanted(g, t)];
  select_vectors(g, 1, count);
  js_gemm(0, 0, count, g->m, k, 1.0, g->sel, k, g->q, g->m, 0.0, left, g->m);
  select_vectors(g, 0, count);
  js_gemm(0, 0, count, g->n, k, 1.0, g->sel, k, g->p, g->n, 0.0, right, g->n);
  res->rank = count;
}

int js_gkl(js_linop *op, const js_svds_options *opt, int64_t r, int64_t k, double scale,
           js_svds_result *res) {
  gkl g;
  res->rank = 0;
  res->iterations = 0;
  int status = gkl_init(&g, op, opt, k);
  if (status)
    return status;
  g.wanted = r;
  draw(&g, g.n, g.n_off, g.p);
  js_scal(g.n, 1.0 / js_comm_nrm2(g.ncomm, g.n, g.p), g.p);
  /* Restarts keep the r wanted and half of the rest, as ARPACK keeps
   * nev + nconv/2: the extra vectors speed up the wanted ones. */
  int64_t keep = r + (k - r) / 2;
  if (keep > k - 1)
    keep = k - 1;
  for (int64_t l = 0;; l = keep) {
    if ((status = extend(&g, l)) || (status = ritz(&g, r, scale)))
      goto done;
    if (g.converged == r || g.restarts == opt->max_iter)
      break;
    restart(&g, keep);
    g.restarts++;
  }
  extract(&g, g.converged, res);
  res->iterations = g.restarts;
  status = JS_OK;
  if (g.converged < r)
    status = js_fail(JS_ENOCONV,
                     "svds: only %lld of %lld singular triplets converged after %lld "
                     "restarts (raise --maxiter or --ncv)",
                     (long long)g.converged, (long long)r, (long long)g.restarts);
done:
  gkl_free(&g);
  return status;
}

/* Lanczos three-term recurrence (Golub and Van Loan, Matrix Computations,
 * 4th ed., Algorithm 10.1.1)
 *   w = G q_j - alpha_j q_j - beta_{j-1} q_{j-1},  beta_j = ||w||,
 *   q_{j+1} = w / beta_j,
 * with full reorthogonalisation of w against q_0..q_j (solve/orth.h), so
 * the Ritz values carry no spurious copies and T stays the projection of G
 * on an orthonormal basis to working precision. */
#include "solve/lanczos.h"

#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "solve/orth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* beta_j below this times ||T_j|| is an invariant subspace: with full
 * reorthogonalisation an exact one leaves beta_j ~ eps ||G||, far below,
 * and stopping on a merely small beta_j perturbs T by beta_j only. */
#define BREAKDOWN 1e-10

size_t js_lanczos_block_bytes(int64_t n, int64_t b, int64_t m) {
  return sizeof(double) * (size_t)b * ((size_t)n * (size_t)(m + 2) + 2 * (size_t)m) +
         sizeof(int64_t) * (size_t)b;
}

int js_lanczos_block_init(js_lanczos_block *lb, int64_t n, int64_t b, int64_t m) {
  memset(lb, 0, sizeof *lb);
  lb->b = b;
  lb->m = m;
  lb->alpha = js_alloc((size_t)(m * b), sizeof(double), "Lanczos diagonal");
  lb->beta = js_alloc((size_t)(m * b), sizeof(double), "Lanczos off-diagonal");
  lb->steps = js_alloc((size_t)b, sizeof(int64_t), "Lanczos steps");
  lb->basis = js_alloc((size_t)n * (size_t)m * (size_t)b, sizeof(double), "Lanczos basis");
  lb->x = js_alloc((size_t)(n * b), sizeof(double), "Lanczos block");
  lb->y = js_alloc((size_t)(n * b), sizeof(double), "Lanczos block");
  if (!lb->alpha || !lb->beta || !lb->steps || !lb->basis || !lb->x || !lb->y) {
    js_lanczos_block_free(lb);
    return JS_ENOMEM;
  }
  return JS_OK;
}

void js_lanczos_block_free(js_lanczos_block *lb) {
  free(lb->alpha);
  free(lb->beta);
  free(lb->steps);
  free(lb->basis);
  free(lb->x);
  free(lb->y);
  memset(lb, 0, sizeof *lb);
}

/* One step j for start vector c: w (n) = G q_j on entry; sets alpha_j,
 * beta_j and q_{j+1}; returns 1 when c stops here. */
static int advance(js_lanczos_block *lb, const js_comm *comm, int64_t n, int64_t c,
                   int64_t j, double *w, double *h, double *anorm) {
  double *q = lb->basis + (size_t)c * (size_t)n * (size_t)lb->m;
  double *alpha = lb->alpha + c * lb->m, *beta = lb->beta + c * lb->m;
  const double *qj = q + j * n;
  alpha[j] = js_comm_dot(comm, n, qj, w);
  js_axpy(n, -alpha[j], qj, w);
  if (j > 0)
    js_axpy(n, -beta[j - 1], qj - n, w);
  js_orthogonalise(comm, n, j + 1, q, w, h, h + lb->m);
  beta[j] = js_comm_nrm2(comm, n, w);
  /* ||T_j|| <= max_i (|alpha_i| + beta_{i-1} + beta_i) (Gershgorin). */
  double row = fabs(alpha[j]) + beta[j] + (j > 0 ? beta[j - 1] : 0.0);
  if (row > *anorm)
    *anorm = row;
  lb->steps[c] = j + 1;
  if (j + 1 == lb->m || beta[j] <= BREAKDOWN * *anorm)
    return 1;
  memcpy(q + (j + 1) * n, w, sizeof(double) * (size_t)n);
  js_scal(n, 1.0 / beta[j], q + (j + 1) * n);
  return 0;
}

int js_lanczos_run(js_gram *g, js_lanczos_block *lb, const double *start,
                   js_lanczos_step_fn step, void *step_ctx, int64_t *n_products) {
  int64_t n = g->n, b = lb->b, m = lb->m;
  int status = JS_ENOMEM;
  int64_t *active = js_alloc((size_t)b, sizeof(int64_t), "Lanczos active list");
  double *anorm = js_alloc((size_t)b, sizeof(double), "Lanczos norms");
  double *h = js_alloc(2 * (size_t)m, sizeof(double), "Lanczos coefficients");
  if ((status = js_comm_agree(js_linop_comm(g->op), active && anorm && h ? JS_OK : JS_ENOMEM)))
    goto done;
  for (int64_t c = 0; c < b; c++) {
    double *q0 = lb->basis + (size_t)c * (size_t)n * (size_t)m;
    memcpy(q0, start + c * n, sizeof(double) * (size_t)n);
    active[c] = c;
    lb->steps[c] = 0;
  }
  int64_t n_active = b;
  status = JS_OK;
  for (int64_t j = 0; j < m && n_active > 0; j++) {
    /* The active start vectors' q_j side by side: one block product. */
    for (int64_t a = 0; a < n_active; a++)
      memcpy(lb->x + a * n, lb->basis + ((size_t)active[a] * (size_t)m + (size_t)j) * (size_t)n,
             sizeof(double) * (size_t)n);
    if ((status = js_gram_apply_block(g, n_active, lb->x, lb->y)))
      goto done;
    *n_products += n_active;
    if (step)
      step(step_ctx, *n_products);
    int64_t kept = 0;
    for (int64_t a = 0; a < n_active; a++) {
      int64_t c = active[a];
      if (!advance(lb, g->comm, n, c, j, lb->y + a * n, h, &anorm[c]))
        active[kept++] = c;
    }
    n_active = kept;
  }
done:
  free(active);
  free(anorm);
  free(h);
  return status;
}

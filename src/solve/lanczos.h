/* Plain m-step symmetric Lanczos with full reorthogonalisation on a Gram
 * operator, for b independent start vectors whose products go through the
 * operator together (one block product per step). It yields the Lanczos
 * tridiagonals T_m = Q_m^T G Q_m, the object of Gauss quadrature
 * (Golub and Meurant, "Matrices, Moments and Quadrature", ch. 4 and 6).
 *
 * Letters: n = size of G, m = steps asked, b = start vectors. */
#ifndef JS_SOLVE_LANCZOS_H
#define JS_SOLVE_LANCZOS_H

#include "solve/gram.h"

/* Called after each block product with the Gram products (vectors) so far. */
typedef void (*js_lanczos_step_fn)(void *ctx, int64_t n_products);

typedef struct js_lanczos_block {
  int64_t b, m;     /* start vectors, steps asked (m <= n) */
  double *alpha;    /* m x b: diagonal of T for start vector c at alpha + c*m */
  double *beta;     /* m x b: off-diagonal, beta[c*m + j] = T(j, j+1) */
  int64_t *steps;   /* b: steps taken (< m after a breakdown) */
  double *basis;    /* n x m x b: the Lanczos vectors (workspace) */
  double *x, *y;    /* n x b: the block product's input and output */
} js_lanczos_block;

/* Room for b start vectors and m steps on a Gram operator of size n. */
int js_lanczos_block_init(js_lanczos_block *lb, int64_t n, int64_t b, int64_t m);
void js_lanczos_block_free(js_lanczos_block *lb);
/* Bytes js_lanczos_block_init allocates. */
size_t js_lanczos_block_bytes(int64_t n, int64_t b, int64_t m);

/* Runs Lanczos from the unit vectors start (n x lb->b; may be lb->x) on G
 * (g->block >= lb->b). A start vector whose Krylov space becomes invariant
 * (beta_j <= 1e-10 ||T_j||, e.g. G = 0 at once, or j = rank of G on the
 * start's subspace) stops there: T_j is then exact for it, so the steps
 * taken are used as they are. `step` (may be NULL) reports progress. */
int js_lanczos_run(js_gram *g, js_lanczos_block *lb, const double *start,
                   js_lanczos_step_fn step, void *step_ctx, int64_t *n_products);

#endif

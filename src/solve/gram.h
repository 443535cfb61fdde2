/* The Gram operator Lanczos runs on (doc/DESIGN.md section 3):
 *   outputs side: G = J J^T, size n = rows (nK), x -> J (J^T x)
 *   params side:  G = J^T J, size n = cols (p),  x -> J^T (J x)
 * Its top eigenpairs are (lambda_s^2, u_s) or (lambda_s^2, v_s). */
#ifndef JS_SOLVE_GRAM_H
#define JS_SOLVE_GRAM_H

#include "jacspec.h"

typedef struct js_gram {
  js_linop *op;    /* J, borrowed */
  js_side side;    /* JS_SIDE_OUTPUTS or JS_SIDE_PARAMS */
  int64_t n;       /* size of G */
  int64_t m;       /* size of the other side */
  int64_t block;   /* vectors js_gram_apply_block takes at once */
  double *scratch; /* m x block: J^T x or J x between the two products */
  /* Distributed J (js_linop_set_shard): the Gram side's vectors are this
   * rank's entries offset .. offset + n - 1 of n_global, reduced over comm
   * (outputs side), or whole on every rank (params side: the serial comm,
   * offset 0, n_global = n). other_comm: the same for the other side. */
  const js_comm *comm, *other_comm;
  int64_t offset, n_global;
  js_linop *explicit_g; /* G itself (js_jacobian_gram), or NULL: J (J^T x) */
} js_gram;

/* The side `side` stands for: AUTO picks J J^T when rows <= cols (all
 * ranks' rows, so that every rank picks the same side). */
js_side js_gram_side(const js_linop *op, js_side side);
/* The same for an operator of rows x cols. */
js_side js_gram_side_of(int64_t rows, int64_t cols, js_side side);
int js_gram_init(js_gram *g, js_linop *op, js_side side);
/* The same with room for blocks of up to `block` vectors (>= 1). */
int js_gram_init_block(js_gram *g, js_linop *op, js_side side, int64_t block);
void js_gram_free(js_gram *g);
/* Products with G go to `gram` (an explicit G of op, js_jacobian_gram)
 * when it is not NULL. JS_EINVAL unless g is on the outputs side and gram
 * is rows x rows of op. */
int js_gram_use_explicit(js_gram *g, js_linop *gram);

/* A start vector drawn by global index (core/rng.h): x (n) = this rank's
 * entries offset.. of the standard normal vector (sign: the +-1 vector)
 * drawn from seed, the same whatever the number of ranks. */
void js_gram_draw(const js_gram *g, uint64_t seed, int sign, double *x);

/* y = G x (both of length n); JS_ENUMERIC if J gave NaN or Inf (on any
 * rank: the status is agreed). */
int js_gram_apply(js_gram *g, const double *x, double *y);
/* Y = G X for b <= g->block vectors (X and Y are n x b), as two block
 * products, so BLIS sees matrices. */
int js_gram_apply_block(js_gram *g, int64_t b, const double *x, double *y);

/* The other side's singular vectors from k eigenvectors x (n x k) of G:
 * y_s = J^T x_s (outputs side) or J x_s (params side), normalised; y is
 * m x k, norm[s] the norm before (k). One block product. */
int js_gram_other_side(js_gram *g, int64_t k, const double *x, double *y, double *norm);

/* The same with the explicit G (js_gram_use_explicit): gx = G X (n x k),
 * one block product with G; with y, the other side as above (one block of
 * J^T products, its norms), else norm[s] = sqrt(x_s^T G x_s) and no y;
 * *check = ||G z - J (J^T z)|| / ||G z|| for the Gaussian z drawn from
 * seed: one more product with G, one with J and one with J^T. */
int js_gram_explicit_side(js_gram *g, int64_t k, const double *x, double *gx, double *y,
                          double *norm, uint64_t seed, double *check);

#endif

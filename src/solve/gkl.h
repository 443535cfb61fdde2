/* Golub-Kahan-Lanczos bidiagonalisation on J itself (no Gram operator, so
 * a small singular value sigma is computed to about eps sigma_1 absolute,
 * not eps sigma_1^2 / sigma), thick-restarted as in Baglama and Reichel's
 * IRLBA (SIAM J. Sci. Comput. 27, 2005), for the largest or the smallest
 * singular triplets.
 *
 * Letters: A = J (rows >= cols) or J^T (rows < cols), so that A is m x n
 * with m >= n and the start vector lives on the smaller side (for the
 * smallest, the larger side's null space would give zeros that are no
 * singular values of J); k = basis size, r = triplets wanted. */
#ifndef JS_SOLVE_GKL_H
#define JS_SOLVE_GKL_H

#include "jacspec.h"

/* The r largest singular triplets of op (opt->smallest: the r smallest,
 * ascending) with a basis of k vectors (r < k <= min(rows, cols)), start
 * vector from opt->seed, at most opt->max_iter restarts. A triplet has
 * converged when its residual bound |beta_k e_k^T u_B| is at most
 * max(opt->tol / 100, eps) * scale, where scale = sigma_1 (given > 0 for the
 * smallest; 0: the largest Ritz value). res (capacity >= r) receives, in
 * order, the converged ones: sigma, u (rows x rank), v (cols x rank), rank
 * and the restarts in iterations. Returns JS_OK, JS_ENOCONV (fewer than r
 * converged; the message says how many), JS_ENOMEM, JS_ENUMERIC or a
 * product's error. J = 0 gives r zero triplets whose residuals are 0. */
int js_gkl(js_linop *op, const js_svds_options *opt, int64_t r, int64_t k, double scale,
           js_svds_result *res);

/* Bytes js_gkl allocates for an operator of rows x cols with a basis of k. */
size_t js_gkl_memory_bytes(int64_t rows, int64_t cols, int64_t k);

#endif

/* Full reorthogonalisation for the Krylov solvers: classical Gram-Schmidt
 * applied twice ("twice is enough": Giraud, Langou, Rozloznik and van den
 * Eshof, Numer. Math. 101, 2005), as two BLAS-2 products per pass. */
#ifndef JS_SOLVE_ORTH_H
#define JS_SOLVE_ORTH_H

#include "jacspec.h"

#include <stdint.h>

/* w (n) -= Q (Q^T w), twice, for the k orthonormal columns of q (n x k,
 * column after column). coef (k) receives the coefficients of both passes
 * summed (the projection Q^T w of the w given); h is k doubles of scratch.
 * k = 0 leaves w as it is. Under a distributed comm the n entries are this
 * rank's rows of vectors split across the ranks, and Q^T w is summed over
 * them (NULL or the serial comm: whole vectors). A failed sum leaves NaN
 * in coef and w, which the callers' finiteness checks report. */
void js_orthogonalise(const js_comm *comm, int64_t n, int64_t k, const double *q, double *w,
                      double *coef, double *h);

/* Rows of a basis js_rotate_basis updates at once: its scratch holds this
 * many rows of the new columns. */
enum { JS_ROTATE_ROWS = 512 };

/* basis[:, 0..count-1] <- basis[:, 0..k-1] sel, in place, for a basis of
 * len x k (column after column) and sel of k x count (count <= k,
 * column-major): a block of JS_ROTATE_ROWS rows at a time, each block's
 * old rows read by the product before its new rows are written, through
 * scratch (JS_ROTATE_ROWS x count doubles). A thick restart's or a
 * Rayleigh-Ritz step's change of basis, without a second basis. */
void js_rotate_basis(double *basis, int64_t len, int64_t k, const double *sel, int64_t count,
                     double *scratch);

#endif

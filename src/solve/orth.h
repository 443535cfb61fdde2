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

#endif

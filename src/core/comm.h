/* Reductions over the rows of a row-distributed operator: vectors of
 * length nK are split across the ranks of a js_comm (jacspec.h), so a dot
 * product or a norm of two of them is a local one summed over the ranks.
 * Vectors of length p are whole on every rank and use core/blas.h. */
#ifndef JS_CORE_COMM_H
#define JS_CORE_COMM_H

#include "jacspec.h"

/* Non-zero when comm spans more than one process. */
int js_comm_distributed(const js_comm *comm);
/* x^T y and ||x|| over all ranks' entries (n local ones here). A failed
 * sum leaves NaN, which the callers' finiteness checks report. */
double js_comm_dot(const js_comm *comm, int64_t n, const double *x, const double *y);
double js_comm_nrm2(const js_comm *comm, int64_t n, const double *x);

#endif

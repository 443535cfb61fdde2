/* Test helper: random orthonormal columns, the Q factor (LAPACK dgeqrf and
 * dorgqr) of a Gaussian matrix drawn from a seeded stream. */
#ifndef JS_TESTS_ORTHONORMAL_H
#define JS_TESTS_ORTHONORMAL_H

#include "core/rng.h"

/* q (m x k, column-major, k <= m; caller frees) with q^T q = I. */
double *orthonormal(int m, int k, js_rng *rng);

#endif

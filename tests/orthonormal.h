/* Test helper: random orthonormal columns, the Q factor (LAPACK dgeqrf and
 * dorgqr) of a Gaussian matrix drawn from a seeded stream. */
#ifndef JS_TESTS_ORTHONORMAL_H
#define JS_TESTS_ORTHONORMAL_H

#include "core/rng.h"

#include <stdint.h>

/* q (m x k, column-major, k <= m; caller frees) with q^T q = I. */
double *orthonormal(int m, int k, js_rng *rng);

/* a (rows x cols, column-major; caller frees) = U diag(s) V^T with
 * s_k = spectrum(k), k < min(rows, cols), U and V drawn by orthonormal
 * from rng (U first). */
double *with_spectrum(int64_t rows, int64_t cols, double (*spectrum)(int64_t k), js_rng *rng);

#endif

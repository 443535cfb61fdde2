/* Vectors on disk: a block kept column after column (a result's u_s or
 * v_s) as the rows x n_columns C-order .npy a user reads (spectrum
 * --save-vectors writes it, split --compare reads it back). */
#ifndef JS_CLI_VECTORS_H
#define JS_CLI_VECTORS_H

#include <stdint.h>

/* Writes the n_columns columns (rows each, one after the other) to path.
 * Returns 0, or prints one line and returns 1. */
int cli_columns_write(const char *path, const double *columns, int64_t rows,
                      int64_t n_columns);

/* *columns (malloc'd, column after column) and *n_columns from path, which
 * must hold a 2-d floating array of `rows` rows; `what` names that count
 * in the messages (e.g. "nK"). Returns 0, or prints one line and returns
 * 1. */
int cli_columns_read(const char *path, int64_t rows, const char *what, double **columns,
                     int64_t *n_columns);

#endif

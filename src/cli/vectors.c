/* Vectors on disk (vectors.h). The one transposition both ways: a C-order
 * rows x n matrix is the column-after-column n-vector block read as n x
 * rows, and back. */
#include "cli/vectors.h"

#include "cli/args.h"
#include "cli/problem.h"
#include "jacspec.h"

#include <stdlib.h>

/* out (cols x rows, C order) = the transpose of in (rows x cols, C order). */
static void transpose(const double *in, int64_t rows, int64_t cols, double *out) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++)
      out[j * rows + i] = in[i * cols + j];
}

int cli_columns_write(const char *path, const double *columns, int64_t rows,
                      int64_t n_columns) {
  double *c_order = malloc(sizeof(double) * (size_t)(rows * n_columns));
  if (!c_order) {
    cli_error("%s: out of memory", path);
    return 1;
  }
  transpose(columns, n_columns, rows, c_order);
  int64_t shape[2] = {rows, n_columns};
  int rc = js_npy_write(path, c_order, 2, shape) ? cli_library_error() : 0;
  free(c_order);
  return rc;
}

int cli_columns_read(const char *path, int64_t rows, const char *what, double **columns,
                     int64_t *n_columns) {
  *columns = NULL;
  js_array *a = NULL;
  if (js_npy_read(path, &a))
    return cli_library_error();
  int rc = 1;
  if (a->ndim != 2 || a->is_integer || a->shape[1] < 1)
    cli_error("%s: wants a 2-d floating array (%s x r, as spectrum --save-vectors writes "
              "PREFIX_U.npy)", path, what);
  else if (a->shape[0] != rows)
    cli_error("%s: %lld x %lld, but %s = %lld here (the vectors must come from the same "
              "samples, in the same order)", path, (long long)a->shape[0],
              (long long)a->shape[1], what, (long long)rows);
  else if (!(*columns = malloc(sizeof(double) * (size_t)(rows * a->shape[1]))))
    cli_error("%s: out of memory", path);
  else {
    transpose(a->values, rows, a->shape[1], *columns);
    *n_columns = a->shape[1];
    rc = 0;
  }
  js_array_free(a);
  return rc;
}

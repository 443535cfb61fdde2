/* ||X||, the spectral norm of the inputs, which Theorems 3.2 and 3.3 take
 * in their cut-off, width and step-size conditions: Lanczos on X as an
 * operator (n x d, row-major). */
#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"

#include <stdlib.h>

/* out = X in (in is d x b, out is n x b) or X^T in, column after column. */
static int apply_inputs(void *ctx, int transpose, int64_t b, const double *in, double *out) {
  const js_dataset *data = ctx;
  int64_t n = data->n_samples, d = data->dim;
  if (transpose) /* out^T (b x d) = in^T (b x n) X */
    js_gemm(0, 0, b, d, n, 1.0, in, n, data->x, d, 0.0, out, d);
  else /* out^T (b x n) = in^T (b x d) X^T */
    js_gemm(0, 1, b, n, d, 1.0, in, d, data->x, d, 0.0, out, n);
  return JS_OK;
}

int js_dataset_input_norm(const js_dataset *data, double *norm) {
  return js_dataset_input_norm_shard(data, NULL, norm);
}

int js_dataset_input_norm_shard(const js_dataset *data, const js_comm *comm, double *norm) {
  if (!data || !norm || !data->x)
    return js_fail(JS_EINVAL, "input norm: NULL argument");
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = 1;
  opt.want_vectors = 0;
  int sharded = js_comm_distributed(comm);
  int64_t total = sharded && data->total_samples ? data->total_samples : data->n_samples;
  int status = js_linop_create(data->n_samples, data->dim, apply_inputs, (void *)data, &op);
  if (sharded && !status)
    status = js_linop_set_shard(op, comm, data->first_sample, total);
  /* A 1 x 1 or n x 1 X has no Lanczos room (one triplet needs min >= 2):
   * its norm is the vector's. */
  if (!status && (total == 1 || data->dim == 1))
    *norm = js_comm_nrm2(comm, data->n_samples * data->dim, data->x);
  else if (!status && !(status = js_svds(op, &opt, &res)))
    *norm = res->sigma[0];
  js_svds_result_free(res);
  js_linop_free(op);
  return status;
}

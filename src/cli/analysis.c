#include "cli/analysis.h"

#include "cli/args.h"
#include "cli/output.h"
#include "cli/problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_space_compute(const js_net *net, const double *theta, const js_dataset *data,
                      const js_jacobian_options *jac, const js_svds_options *opt,
                      int quiet, js_space **space) {
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  js_svds_options with_vectors = *opt;
  cli_progress progress;
  cli_progress_init(&progress, quiet);
  with_vectors.want_vectors = 1;
  with_vectors.progress = cli_progress_report;
  with_vectors.progress_ctx = &progress;
  *space = NULL;
  int status = js_jacobian_create_at(net, theta, data, jac, &op);
  if (!status)
    status = js_svds(op, &with_vectors, &res);
  cli_progress_done(&progress);
  if (!status)
    status = js_space_create(res, opt->cutoff > 0 ? 0 : opt->top, opt->cutoff, space);
  js_svds_result_free(res);
  js_linop_free(op);
  return status ? cli_library_error() : 0;
}

void cli_subtract_targets(const js_dataset *data, double *r) {
  for (int64_t i = 0; i < data->n_samples * data->n_outputs; i++)
    r[i] -= data->y[i];
}

int cli_residual_into(const js_net *net, const js_dataset *data, double *r) {
  if (js_net_forward(net, data->x, data->n_samples, r))
    return cli_library_error();
  cli_subtract_targets(data, r);
  return 0;
}

double *cli_residual(const js_net *net, const js_dataset *data) {
  double *r = malloc(sizeof(double) * (size_t)(data->n_samples * data->n_outputs));
  if (!r)
    cli_error("residual: out of memory");
  else if (cli_residual_into(net, data, r)) {
    free(r);
    r = NULL;
  }
  return r;
}

int cli_lr_parse(const char *text, double *lr) {
  *lr = 0;
  if (!text || strcmp(text, "auto") == 0)
    return 0;
  if (cli_double("lr", text, -INFINITY, INFINITY, lr))
    return 2;
  if (*lr <= 0) {
    cli_error("--lr: the learning rate must be > 0 (or auto), got %g", *lr);
    return 2;
  }
  return 0;
}

#include "gmm_problem.h"

#include <stdio.h>

int gmm_problem_create(gmm_problem *prob, int64_t n_samples, int64_t n_classes,
                       int64_t dim, int64_t hidden, const char *who) {
  *prob = (gmm_problem){0};
  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm);
  gmm.n_samples = n_samples;
  gmm.n_classes = n_classes;
  gmm.dim = dim;
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt);
  int64_t widths[3] = {dim, hidden, n_classes};
  net_opt.widths = widths;
  js_jacobian_options_init_defaults(&prob->jac);
  int rc = js_dataset_gmm(&gmm, &prob->data);
  if (!rc)
    rc = js_dataset_normalize(prob->data);
  if (!rc)
    rc = js_net_create_mlp(&net_opt, &prob->net);
  if (!rc)
    rc = js_jacobian_create(prob->net, prob->data, &prob->jac, &prob->jacobian);
  if (rc) {
    fprintf(stderr, "%s: n=%lld K=%lld d=%lld hidden=%lld: %s\n", who,
            (long long)n_samples, (long long)n_classes, (long long)dim,
            (long long)hidden, js_last_error());
    gmm_problem_free(prob);
  }
  return rc;
}

int gmm_problem_plan(gmm_problem *prob, const js_svds_options *solver, size_t budget,
                     int64_t batch_size, const char *who) {
  int64_t n = prob->data->n_samples;
  int64_t rows = js_linop_rows(prob->jacobian), cols = js_linop_cols(prob->jacobian);
  size_t solver_bytes = js_svds_memory_bytes(solver, rows, cols);
  js_memory_plan *plan = &prob->plan;
  int rc = js_plan_memory(prob->net, prob->jac.precision, n, solver->top, solver_bytes,
                          budget, plan);
  if (!rc && batch_size > 0) {
    size_t per_sample = plan->batch_bytes / (size_t)plan->batch_size;
    plan->batch_size = batch_size < n ? batch_size : n;
    plan->batch_bytes = per_sample * (size_t)plan->batch_size;
    plan->total_bytes = plan->fixed_bytes + plan->cache_bytes + plan->batch_bytes;
  }
  if (!rc) {
    /* As the CLI does: each product its own batch under the plan's
     * workspace, unless one batch is forced. */
    if (batch_size > 0)
      prob->jac.batch_size = plan->batch_size;
    else
      prob->jac.workspace_limit = plan->workspace_limit;
    prob->jac.cache_limit = plan->cache_limit;
    js_linop_free(prob->jacobian);
    prob->jacobian = NULL;
    rc = js_jacobian_create(prob->net, prob->data, &prob->jac, &prob->jacobian);
  }
  if (rc)
    fprintf(stderr, "%s: memory plan for %zu bytes: %s\n", who, budget, js_last_error());
  return rc;
}

void gmm_problem_free(gmm_problem *prob) {
  js_linop_free(prob->jacobian);
  js_net_free(prob->net);
  js_dataset_free(prob->data);
  *prob = (gmm_problem){0};
}

void gmm_problem_svds_options(js_svds_options *opt, int64_t top) {
  js_svds_options_init_defaults(opt);
  opt->top = top;
  opt->want_vectors = 0;
}

#include "cli/analysis.h"

#include "cli/parallel.h"

#include "cli/args.h"
#include "cli/output.h"
#include "cli/problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_space_compute(const js_net *net, const double *theta, const js_dataset *data,
                      const js_jacobian_options *jac, const js_svds_options *opt,
                      cli_gram *gram, cli_refinement *refinement, int quiet,
                      js_space **space) {
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
  with_vectors.fast = js_jacobian_fast(op);
  js_linop *lanczos = with_vectors.fast ? with_vectors.fast : op;
  int rc = status ? cli_library_error()
           : gram ? cli_gram_form(gram, lanczos, &with_vectors.gram)
                  : 0;
  if (!rc)
    status = js_svds(op, &with_vectors, &res);
  cli_progress_done(&progress);
  if (!rc && !status) {
    if (gram)
      cli_gram_count(gram, res);
    if (refinement) {
      refinement->tol = opt->tol;
      cli_refinement_add(refinement, res);
    }
    status = js_space_create(res, opt->cutoff > 0 ? 0 : opt->top, opt->cutoff, space);
  }
  js_svds_result_free(res);
  if (gram) /* its G belongs to this Jacobian */
    cli_gram_free(gram);
  js_linop_free(op);
  return rc ? rc : status ? cli_library_error() : 0;
}

void cli_json_alignment(json_writer *j, const char *key, const js_alignment *a) {
  json_object(j, key);
  json_number(j, "norm", a->norm);
  json_number(j, "info", a->info);
  json_number(j, "nuisance", a->nuisance);
  json_number(j, "pinv", a->pinv);
  json_close_object(j);
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
  if (strcmp(text, "theory") == 0) {
    *lr = CLI_LR_THEORY;
    return 0;
  }
  if (cli_double("lr", text, -INFINITY, INFINITY, lr))
    return 2;
  if (*lr <= 0) {
    cli_error("--lr: the learning rate must be > 0 (or auto, theory), got %g", *lr);
    return 2;
  }
  return 0;
}

/* The largest |entry| of tensor `name`, and its size; -1 when absent. */
static double largest_entry(const js_net *net, const char *name, int64_t *size) {
  js_tensor_info info;
  int t = js_net_find_tensor(net, name);
  if (t < 0 || js_net_tensor_info(net, t, &info))
    return -1;
  const double *v = js_net_tensor(net, t);
  double largest = 0;
  for (int64_t i = 0; i < info.size; i++)
    largest = fmax(largest, fabs(v[i]));
  *size = info.size;
  return largest;
}

int cli_theory_inputs(const cli_problem *pb, const char *verb, cli_theory *t) {
  *t = (cli_theory){0};
  const js_net *net = pb->net;
  if (!pb->mlp || js_net_find_tensor(net, "W2") < 0) {
    cli_error("%s: Theorem 3.3 (and 3.2) is about the paper's network V phi(W x), an MLP "
              "with a hidden layer (--hidden), not %s", verb, pb->model_name);
    return 2;
  }
  /* The output layer V = W_L: the theorem asks ||V||_inf <= nu / sqrt(kK),
   * so the smallest nu that holds is sqrt(kK) max |V_ij|. */
  char name[32];
  int last = 2;
  for (;; last++) {
    snprintf(name, sizeof name, "W%d", last + 1);
    if (js_net_find_tensor(net, name) < 0)
      break;
  }
  snprintf(name, sizeof name, "W%d", last);
  int64_t size = 0;
  double largest = largest_entry(net, name, &size);
  t->nu = sqrt((double)size) * largest;
  t->hidden_layers = last - 1;
  js_tensor_info info;
  for (int i = 0; i < js_net_n_tensors(net); i++)
    if (!js_net_tensor_info(net, i, &info) && info.trained && strcmp(info.name, "W1") != 0)
      t->output_trained = 1;
  js_net_tensor_info(net, js_net_find_tensor(net, "W1"), &info);
  t->width = info.shape[0];
  t->deriv_bound = fmax(js_activation_derivative_bound(pb->act),
                        js_activation_second_derivative_bound(pb->act));
  const js_dataset *data = pb->data;
  for (int64_t i = 0; i < data->n_samples; i++) {
    double norm = 0;
    for (int64_t j = 0; j < data->dim; j++)
      norm += data->x[i * data->dim + j] * data->x[i * data->dim + j];
    t->norm_error = fmax(t->norm_error, fabs(sqrt(norm) - 1.0));
  }
  /* Over all ranks' samples: a non-negative double orders as its bits. */
  int64_t bits;
  memcpy(&bits, &t->norm_error, sizeof bits);
  if (js_comm_max(cli_comm(), &bits, 1))
    return cli_library_error();
  memcpy(&t->norm_error, &bits, sizeof bits);
  return js_dataset_input_norm_shard(data, cli_comm(), &t->input_norm) ? cli_library_error()
                                                                        : 0;
}

int cli_theory_lr(const cli_problem *pb, const char *verb, double *lr) {
  cli_theory t;
  int rc = cli_theory_inputs(pb, verb, &t);
  if (rc)
    return rc;
  *lr = js_bound_lr_max(t.nu, t.deriv_bound, t.input_norm);
  if (!(*lr > 0)) {
    cli_error("%s: --lr theory: eta_max = 1 / (nu^2 B^2 ||X||^2) is 0 (B = %g: the "
              "activation's phi'' is unbounded)", verb, t.deriv_bound);
    return 2;
  }
  return 0;
}

/* jacspec bound: the terms of the paper's Theorem 3.3 (arbitrary
 * initialisation) for a network and data at its weights, a cut-off alpha
 * and the precision parameters Gamma, delta, zeta, each printed with its
 * formula so a reader can follow the paper. */
#include "cli/analysis.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/problem.h"
#include "cli/solver_args.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdlib.h>

static struct {
  const char *cutoff, *gamma, *delta, *zeta, *lr, *json, *csv;
  int quiet;
} args;

static const cli_opt bound_options[] = {
    {"cutoff", "ALPHA", "spectrum cut-off alpha defining I (required)", &args.cutoff, NULL},
    {"gamma", "GAMMA", "learning duration Gamma >= 1 (default 1)", &args.gamma, NULL},
    {"delta", "DELTA", "the bound holds with probability 1 - delta (default 0.05)",
     &args.delta, NULL},
    {"zeta", "ZETA", "precision zeta <= 1/2 (default 0.1)", &args.zeta, NULL},
    {"lr", "auto|ETA", "learning rate for T = Gamma / (eta alpha^2); auto: 1 / lambda_1^2 "
     "(default auto)", &args.lr, NULL},
    {"json", "FILE", "write the terms as JSON to FILE (- for stdout)", &args.json, NULL},
    {"csv", "FILE", "write the terms as CSV rows term,value to FILE (- for stdout)", &args.csv,
     NULL},
    {"quiet", NULL, "no progress on stderr", NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

static int parse_inputs(js_bound_inputs *in) {
  *in = (js_bound_inputs){.gamma = 1, .delta = 0.05, .zeta = 0.1};
  if (!args.cutoff) {
    cli_error("bound: give the cut-off with --cutoff ALPHA (Theorem 3.3's alpha)");
    return 2;
  }
  if ((args.gamma && cli_double("gamma", args.gamma, 1, 1e300, &in->gamma)) ||
      (args.delta && cli_double("delta", args.delta, 0, 1, &in->delta)) ||
      (args.zeta && cli_double("zeta", args.zeta, 0, 0.5, &in->zeta)) ||
      cli_lr_parse(args.lr, &in->lr))
    return 2;
  if (in->delta <= 0) {
    cli_error("--delta: must be > 0");
    return 2;
  }
  return 0;
}

/* nu from the output layer V = W_L of the MLP (L >= 2): the theorem asks
 * ||V||_inf <= nu / sqrt(kK), so the smallest nu that holds is
 * sqrt(kK) max |V_ij|. */
static double output_scale(const js_net *net) {
  int last = -1;
  for (int l = 2;; l++) {
    char name[32];
    snprintf(name, sizeof name, "W%d", l);
    int t = js_net_find_tensor(net, name);
    if (t < 0)
      break;
    last = t;
  }
  js_tensor_info info;
  if (js_net_tensor_info(net, last, &info))
    return NAN;
  const double *v = js_net_tensor(net, last);
  double largest = 0;
  for (int64_t i = 0; i < info.size; i++)
    largest = fmax(largest, fabs(v[i]));
  return sqrt((double)info.size) * largest;
}

static void print_terms(FILE *f, const cli_problem *pb, const js_bound_inputs *in,
                        const js_bound *b, double lambda_1, int64_t rank) {
  fprintf(f, "# Theorem 3.3 (arbitrary initialisation), data %s: n = %lld, K = %lld\n",
          pb->data_name, (long long)in->n_samples, (long long)pb->data->n_outputs);
  fprintf(f, "# nu = sqrt(kK) max|V| = %.6g, B = sup|phi'| = %.6g, alpha = %.6g "
          "(r = %lld of lambda_1 = %.6g)\n", in->nu, in->deriv_bound, in->cutoff,
          (long long)rank, lambda_1);
  fprintf(f, "# Gamma = %.6g, delta = %.6g, zeta = %.6g, eta = %.6g\n", in->gamma, in->delta,
          in->zeta, in->lr);
  fprintf(f, "# ||r0|| = %.6g, ||Pi_N r0|| = %.6g, ||J_I^+ r0|| = %.6g, "
          "C_r = ||r0||/sqrt(n) = %.6g\n", in->res_norm, in->res_nuisance, in->res_pinv,
          b->c_r);
  const struct {
    const char *name, *formula;
    double value;
  } lines[] = {
      {"bias", "2 ||Pi_N r0|| / sqrt(n)", b->bias},
      {"variance", "12 nu B / sqrt(n) (||J_I^+ r0|| + Gamma/alpha ||Pi_N r0||)", b->variance},
      {"confidence", "5 sqrt(log(2/delta) / n)", b->confidence},
      {"approximation", "2 C_r (e^-Gamma + zeta)", b->approximation},
      {"total", "Err_D(W_T) <= the sum of the four", b->total},
      {"iterations", "T = Gamma / (eta alpha^2)", b->iterations},
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    fprintf(f, "%-14s %-60s %.6g\n", lines[i].name, lines[i].formula, lines[i].value);
}

static void write_json(FILE *f, const cli_problem *pb, const js_bound_inputs *in,
                       const js_bound *b, double lambda_1, int64_t rank) {
  json_writer j;
  json_begin(&j, f);
  json_string(&j, "data", pb->data_name);
  json_int(&j, "n_samples", in->n_samples);
  json_number(&j, "nu", in->nu);
  json_number(&j, "B", in->deriv_bound);
  json_number(&j, "cutoff", in->cutoff);
  json_int(&j, "rank", rank);
  json_number(&j, "lambda_1", lambda_1);
  json_number(&j, "gamma", in->gamma);
  json_number(&j, "delta", in->delta);
  json_number(&j, "zeta", in->zeta);
  json_number(&j, "lr", in->lr);
  json_number(&j, "res_norm", in->res_norm);
  json_number(&j, "res_nuisance", in->res_nuisance);
  json_number(&j, "res_pinv", in->res_pinv);
  json_number(&j, "c_r", b->c_r);
  json_number(&j, "bias", b->bias);
  json_number(&j, "variance", b->variance);
  json_number(&j, "confidence", b->confidence);
  json_number(&j, "approximation", b->approximation);
  json_number(&j, "total", b->total);
  json_number(&j, "iterations", b->iterations);
  json_end(&j);
}

static void write_csv(FILE *f, const js_bound *b) {
  const struct {
    const char *name;
    double value;
  } terms[] = {{"bias", b->bias},
               {"variance", b->variance},
               {"confidence", b->confidence},
               {"approximation", b->approximation},
               {"total", b->total},
               {"iterations", b->iterations}};
  fprintf(f, "term,value\n");
  for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++)
    fprintf(f, "%s,%.17g\n", terms[i].name, terms[i].value);
}

int cli_bound(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_solver_options, bound_options, NULL};
  int rc = cli_parse("bound",
                     "The terms of Theorem 3.3 (generalisation after T = Gamma/(eta alpha^2)\n"
                     "gradient steps from the network's weights): bias, variance, confidence\n"
                     "and approximation terms and their sum, from r0 = f(theta_0) - y split on\n"
                     "the information space of J(theta_0) with cut-off alpha.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb;
  js_svds_options opt;
  js_bound_inputs in;
  js_space *sp = NULL;
  double *residual = NULL;
  cli_results out = {0};
  if ((rc = cli_problem_load(&pb)) || (rc = parse_inputs(&in)) ||
      (rc = cli_solver_parse(&opt, pb.seed)) ||
      (rc = cli_rank_parse("rank", NULL, args.cutoff, 10, &opt)) ||
      (rc = cli_problem_plan(&pb, &opt)))
    goto done;
  if (!pb.mlp || js_net_find_tensor(pb.net, "W2") < 0) {
    cli_error("bound: Theorem 3.3 is about the paper's network V phi(W x), an MLP with a "
              "hidden layer (--hidden), not %s", pb.model_name);
    rc = 2;
    goto done;
  }
  if ((rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  if ((rc = cli_space_compute(pb.net, NULL, pb.data, &pb.jac, &opt, args.quiet, &sp)))
    goto done;
  if (!(residual = cli_residual(pb.net, pb.data))) {
    rc = 1;
    goto done;
  }
  js_alignment a;
  if (js_space_align(sp, residual, NULL, &a)) {
    rc = cli_library_error();
    goto done;
  }
  double lambda_1 = js_space_singular_values(sp)[0];
  in.n_samples = cli_samples(pb.data);
  in.nu = output_scale(pb.net);
  in.deriv_bound = js_activation_derivative_bound(pb.act);
  in.cutoff = opt.cutoff;
  in.lr = in.lr > 0 ? in.lr : 1.0 / (lambda_1 * lambda_1);
  in.res_norm = a.norm;
  in.res_nuisance = a.nuisance * a.norm;
  in.res_pinv = a.pinv * a.norm;
  js_bound b;
  if (js_bound_theorem33(&in, &b)) {
    rc = cli_library_error();
    goto done;
  }
  if ((rc = cli_problem_save_init(&pb)))
    goto done;
  if (cli_results_table_wanted(&out))
    print_terms(stdout, &pb, &in, &b, lambda_1, js_space_rank(sp));
  if (out.json.f)
    write_json(out.json.f, &pb, &in, &b, lambda_1, js_space_rank(sp));
  if (out.csv.f)
    write_csv(out.csv.f, &b);
done:
  if (cli_results_close(&out, rc == 0) && rc == 0)
    rc = 1;
  free(residual);
  js_space_free(sp);
  cli_problem_free(&pb);
  return rc;
}

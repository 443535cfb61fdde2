/* jacspec bound: the terms of the paper's Theorem 3.3 (arbitrary
 * initialisation) for a network and data at its weights, a cut-off alpha
 * and the precision parameters Gamma, delta, zeta, each printed with its
 * formula so a reader can follow the paper; the hypotheses the theorem
 * makes, one line for each the run violates; Theorem 6.21's tighter
 * variance; and Theorem 3.2 (random initialisation, the analytic kernel). */
#include "cli/analysis.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/problem.h"
#include "cli/solver_args.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *cutoff, *gamma, *delta, *zeta, *lr, *theorem, *json, *csv;
  int quiet;
} args;

static const cli_opt bound_options[] = {
    {"cutoff", "ALPHA", "spectrum cut-off alpha defining I (required)", &args.cutoff, NULL},
    {"gamma", "GAMMA", "learning duration Gamma >= 1 (default 1)", &args.gamma, NULL},
    {"delta", "DELTA", "the bound holds with probability 1 - delta (default 0.05)",
     &args.delta, NULL},
    {"zeta", "ZETA", "precision zeta <= 1/2 (default 0.1)", &args.zeta, NULL},
    {"lr", "auto|theory|ETA", "learning rate for T = Gamma / (eta alpha^2); auto: "
     "1 / lambda_1^2; theory: the theorem's largest, 1 / (nu^2 B^2 ||X||^2) (default auto; "
     "3.2: theory)", &args.lr, NULL},
    {"theorem", "3.3|3.2", "3.3: arbitrary initialisation, the Jacobian at the weights "
     "(default); 3.2: random initialisation, J = Sigma(X)^{1/2} of the analytic kernel "
     "(--cutoff on its singular values, y in place of r0, nu set by the theorem)",
     &args.theorem, NULL},
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

/* The hypotheses of Theorems 3.2 and 3.3 a run can violate, one line each
 * (to stdout with the table, and into the JSON list "violations"). */
typedef struct violations {
  int count;
  char line[8][200];
} violations;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void violation(violations *v, const char *fmt, ...) {
  if (v->count >= 8)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->line[v->count++], sizeof v->line[0], fmt, ap);
  va_end(ap);
}

static void check_hypotheses(const cli_theory *t, double lr, double lr_max, double width,
                             violations *v) {
  if (t->hidden_layers > 1)
    violation(v, "%d hidden layers: the theorems are about one, V phi(W x)",
              t->hidden_layers);
  if (t->output_trained)
    violation(v, "trained tensors beyond W1 (output layer or biases): the theorems train W "
              "only, V fixed");
  if (isinf(t->deriv_bound))
    violation(v, "B = %g: phi'' is unbounded (relu, leaky), the theorems need "
              "|phi'|, |phi''| <= B", t->deriv_bound);
  if (t->norm_error > 1e-10)
    violation(v, "inputs not of unit norm: max | ||x_i|| - 1 | = %.3g", t->norm_error);
  if (lr > lr_max)
    violation(v, "eta = %.6g above eta_max = 1/(nu^2 B^2 ||X||^2) = %.6g", lr, lr_max);
  if ((double)t->width < width)
    violation(v, "width k = %lld below the required %.6g", (long long)t->width, width);
}

static void print_violations(FILE *f, const violations *v) {
  if (v->count == 0)
    fprintf(f, "# hypotheses: all hold\n");
  for (int i = 0; i < v->count; i++)
    fprintf(f, "violated: %s\n", v->line[i]);
}

static void json_violations(json_writer *j, const violations *v) {
  json_array(j, "violations");
  for (int i = 0; i < v->count; i++)
    json_string(j, NULL, v->line[i]);
  json_close_array(j);
}

typedef struct named {
  const char *name, *formula;
  double value;
} named;

static void print_lines(FILE *f, const named *lines, size_t count) {
  for (size_t i = 0; i < count; i++)
    fprintf(f, "%-14s %-62s %.6g\n", lines[i].name, lines[i].formula, lines[i].value);
}

/* The rows of the table, JSON and CSV of Theorem 3.3. */
static size_t terms33(const js_bound *b, named *out) {
  const named lines[] = {
      {"bias", "2 ||Pi_N r0|| / sqrt(n)", b->bias},
      {"variance", "12 nu B / sqrt(n) (||J_I^+ r0|| + Gamma/alpha ||Pi_N r0||)", b->variance},
      {"confidence", "5 sqrt(log(2/delta) / n)", b->confidence},
      {"approximation", "2 C_r (e^-Gamma + zeta)", b->approximation},
      {"total", "Err_D(W_T) <= the sum of the four", b->total},
      {"iterations", "T = Gamma / (eta alpha^2)", b->iterations},
      {"variance_621", "12 nu B D_{alpha,Gamma} / sqrt(n) (6.58)", b->variance_621},
      {"total_621", "(6.58): the sum with variance_621", b->total_621},
      {"distance", "D = (||J_I^+ r0||^2 + Gamma^2/alpha^4 ||J^T Pi_N r0||^2)^1/2", b->distance},
      {"alpha_bar", "alpha / (nu B n^1/4 ||X||^1/2)", b->alpha_bar},
      {"lr_max", "eta_max = 1 / (nu^2 B^2 ||X||^2)", b->lr_max},
      {"width_required", "(6.57) 25600 C_r^2 Gamma^4 / (alpha_bar^8 nu^2 B^2 zeta^2)",
       b->width_required},
  };
  memcpy(out, lines, sizeof lines);
  return sizeof lines / sizeof lines[0];
}

static size_t terms32(const js_bound32 *b, named *out) {
  const named lines[] = {
      {"bias", "2 ||Pi_N y|| / sqrt(n)", b->bias},
      {"variance", "12 B sqrt(K) / sqrt(n) (||J_I^+ y|| + Gamma/alpha0 ||Pi_N y||)",
       b->variance},
      {"zeta_term", "12 (1 + Gamma / (alpha_bar (n ||X||^2)^1/4)) zeta", b->zeta_term},
      {"confidence", "5 sqrt(log(2/delta) / n)", b->confidence},
      {"approximation", "2 e^-Gamma", b->approximation},
      {"total", "Err_D(W_T) <= the sum of the five", b->total},
      {"iterations", "T = Gamma K / (eta nu^2 alpha0^2)", b->iterations},
      {"nu", "the theorem's zeta / (50 B sqrt(log 2K)) (6.85)", b->nu},
      {"alpha_bar", "alpha0 / (B sqrt(K) n^1/4 ||X||^1/2)", b->alpha_bar},
      {"lr_max", "eta_max = 1 / (nu^2 B^2 ||X||^2)", b->lr_max},
      {"width_required", "(6.86) 12e7 Gamma^4 K^4 B^8 ||X||^4 n^2 log n / (c^4 zeta^4 a0^8)",
       b->width_required},
  };
  memcpy(out, lines, sizeof lines);
  return sizeof lines / sizeof lines[0];
}

static void write_named(json_writer *j, const named *lines, size_t count) {
  for (size_t i = 0; i < count; i++)
    json_number(j, lines[i].name, lines[i].value);
}

static void write_csv(FILE *f, const named *lines, size_t count) {
  fprintf(f, "term,value\n");
  for (size_t i = 0; i < count; i++)
    fprintf(f, "%s,%.17g\n", lines[i].name, lines[i].value);
}

/* What both theorems report besides their terms. */
typedef struct report {
  const cli_problem *pb;
  const cli_theory *t;
  const violations *v;
  double cutoff, lambda_1, lr;
  int64_t rank;
  named lines[16];
  size_t n_lines;
} report;

static void print_report(FILE *f, const report *r, const char *title, const char *alpha) {
  fprintf(f, "# Theorem %s, data %s: n = %lld, K = %lld, ||X|| = %.6g\n", title,
          r->pb->data_name, (long long)cli_samples(r->pb->data),
          (long long)r->pb->data->n_outputs, r->t->input_norm);
  fprintf(f, "# width k = %lld, B = max(sup|phi'|, sup|phi''|) = %.6g, %s = %.6g (r = %lld "
          "of lambda_1 = %.6g), eta = %.6g\n", (long long)r->t->width, r->t->deriv_bound,
          alpha, r->cutoff, (long long)r->rank, r->lambda_1, r->lr);
  print_violations(f, r->v);
  print_lines(f, r->lines, r->n_lines);
}

static void json_report(json_writer *j, const report *r) {
  json_string(j, "data", r->pb->data_name);
  json_int(j, "n_samples", cli_samples(r->pb->data));
  json_number(j, "B", r->t->deriv_bound);
  json_number(j, "input_norm", r->t->input_norm);
  json_int(j, "width", r->t->width);
  json_number(j, "cutoff", r->cutoff);
  json_int(j, "rank", r->rank);
  json_number(j, "lambda_1", r->lambda_1);
  json_number(j, "lr", r->lr);
  json_violations(j, r->v);
  write_named(j, r->lines, r->n_lines);
}

/* Theorem 3.3 at the network's weights. */
static int theorem33(cli_problem *pb, const js_svds_options *opt, js_bound_inputs *in,
                     const cli_theory *t, cli_results *out) {
  js_space *sp = NULL;
  js_linop *op = NULL;
  double *residual = NULL;
  cli_refinement refinement = {0};
  int rc = cli_space_compute(pb->net, NULL, pb->data, &pb->jac, opt, NULL, &refinement,
                             args.quiet, &sp);
  if (!rc && !(residual = cli_residual(pb->net, pb->data)))
    rc = 1;
  js_alignment a;
  if (!rc && (js_space_align(sp, residual, NULL, &a) ||
              js_jacobian_create(pb->net, pb->data, &pb->jac, &op) ||
              js_space_nuisance_gradient(sp, op, residual, &in->nuisance_gradient)))
    rc = cli_library_error();
  if (rc)
    goto done;
  double lambda_1 = js_space_singular_values(sp)[0];
  in->n_samples = cli_samples(pb->data);
  in->nu = t->nu;
  in->deriv_bound = t->deriv_bound;
  in->input_norm = t->input_norm;
  in->cutoff = opt->cutoff;
  if (in->lr == CLI_LR_THEORY)
    in->lr = js_bound_lr_max(t->nu, t->deriv_bound, t->input_norm);
  in->lr = in->lr > 0 ? in->lr : 1.0 / (lambda_1 * lambda_1);
  in->res_norm = a.norm;
  in->res_nuisance = a.nuisance * a.norm;
  in->res_pinv = a.pinv * a.norm;
  js_bound b;
  if (js_bound_theorem33(in, &b)) {
    rc = cli_library_error();
    goto done;
  }
  violations v = {0};
  check_hypotheses(t, in->lr, b.lr_max, b.width_required, &v);
  report r = {.pb = pb, .t = t, .v = &v, .cutoff = in->cutoff, .lambda_1 = lambda_1,
              .lr = in->lr, .rank = js_space_rank(sp)};
  r.n_lines = terms33(&b, r.lines);
  if ((rc = cli_problem_save_init(pb)) || (rc = cli_problem_save_model(pb->net)))
    goto done;
  if (cli_results_table_wanted(out)) {
    print_report(stdout, &r, "3.3 (arbitrary initialisation)", "alpha");
    fprintf(stdout, "# nu = sqrt(kK) max|V| = %.6g; ||r0|| = %.6g, ||Pi_N r0|| = %.6g, "
            "||J_I^+ r0|| = %.6g, ||J^T Pi_N r0|| = %.6g, C_r = %.6g\n", in->nu, in->res_norm,
            in->res_nuisance, in->res_pinv, in->nuisance_gradient, b.c_r);
    cli_refinement_describe(&refinement, stdout);
  }
  if (out->json.f) {
    json_writer j;
    json_begin(&j, out->json.f);
    json_string(&j, "theorem", "3.3");
    json_report(&j, &r);
    json_number(&j, "nu", in->nu);
    json_number(&j, "gamma", in->gamma);
    json_number(&j, "delta", in->delta);
    json_number(&j, "zeta", in->zeta);
    json_number(&j, "res_norm", in->res_norm);
    json_number(&j, "res_nuisance", in->res_nuisance);
    json_number(&j, "res_pinv", in->res_pinv);
    json_number(&j, "nuisance_gradient", in->nuisance_gradient);
    json_number(&j, "c_r", b.c_r);
    cli_refinement_json(&refinement, 0, NULL, &j);
    json_end(&j);
  }
  if (out->csv.f)
    write_csv(out->csv.f, r.lines, 6); /* the four terms, total, T */
done:
  free(residual);
  js_linop_free(op);
  js_space_free(sp);
  return rc;
}

/* Theorem 3.2: the labels split on the space of Sigma(X)^{1/2} = I_K (x)
 * Sigma~^{1/2}: each class column y_l on that of Sigma~^{1/2}. */
static int theorem32(cli_problem *pb, const js_svds_options *opt, const js_bound_inputs *in,
                     const cli_theory *t, cli_results *out) {
  const js_dataset *data = pb->data;
  int64_t n = data->n_samples, K = data->n_outputs;
  js_ntk *k = NULL;
  js_space *sp = NULL;
  double *column = malloc(sizeof(double) * (size_t)n);
  js_bound32_inputs b_in = {.n_samples = n, .n_outputs = K, .deriv_bound = t->deriv_bound,
                            .cutoff = opt->cutoff, .gamma = in->gamma, .delta = in->delta,
                            .zeta = in->zeta, .lr = in->lr > 0 ? in->lr : 0,
                            .input_norm = t->input_norm};
  int rc = column ? 0 : (cli_error("bound: out of memory"), 1);
  if (!rc && (js_ntk_create(data->x, n, data->dim, pb->act, NULL, &k) ||
              js_ntk_space(k, opt->cutoff, &sp)))
    rc = cli_library_error();
  double nuisance2 = 0, pinv2 = 0, norm2 = 0;
  for (int64_t l = 0; !rc && l < K; l++) {
    js_alignment a;
    for (int64_t i = 0; i < n; i++)
      column[i] = data->y[i * K + l];
    if (js_space_align(sp, column, NULL, &a)) {
      rc = cli_library_error();
      break;
    }
    norm2 += a.norm * a.norm;
    nuisance2 += a.nuisance * a.nuisance * a.norm * a.norm;
    pinv2 += a.pinv * a.pinv * a.norm * a.norm;
  }
  js_bound32 b;
  if (!rc) {
    b_in.y_norm = sqrt(norm2);
    b_in.y_nuisance = sqrt(nuisance2);
    b_in.y_pinv = sqrt(pinv2);
    if (js_bound_theorem32(&b_in, &b))
      rc = cli_library_error();
  }
  if (rc)
    goto done;
  violations v = {0};
  cli_theory at_init = *t; /* the theorem sets nu, and the network starts at random */
  at_init.nu = b.nu;
  check_hypotheses(&at_init, b.lr, b.lr_max, b.width_required, &v);
  report r = {.pb = pb, .t = &at_init, .v = &v, .cutoff = opt->cutoff,
              .lambda_1 = js_space_singular_values(sp)[0], .lr = b.lr,
              .rank = js_space_rank(sp)};
  r.n_lines = terms32(&b, r.lines);
  if (cli_results_table_wanted(out)) {
    print_report(stdout, &r, "3.2 (random initialisation, J = Sigma(X)^1/2)", "alpha0");
    fprintf(stdout, "# ||y|| = %.6g, ||Pi_N y|| = %.6g, ||J_I^+ y|| = %.6g (r counts each "
            "eigenvalue of Sigma~ once; Sigma(X) repeats it K times)\n", b_in.y_norm,
            b_in.y_nuisance, b_in.y_pinv);
  }
  if (out->json.f) {
    json_writer j;
    json_begin(&j, out->json.f);
    json_string(&j, "theorem", "3.2");
    json_report(&j, &r);
    json_number(&j, "y_norm", b_in.y_norm);
    json_number(&j, "y_nuisance", b_in.y_nuisance);
    json_number(&j, "y_pinv", b_in.y_pinv);
    json_end(&j);
  }
  if (out->csv.f)
    write_csv(out->csv.f, r.lines, 7);
done:
  free(column);
  js_space_free(sp);
  js_ntk_free(k);
  return rc;
}

int cli_bound(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_solver_options, bound_options, NULL};
  int rc = cli_parse("bound",
                     "The terms of Theorem 3.3 (generalisation after T = Gamma/(eta alpha^2)\n"
                     "gradient steps from the network's weights): bias, variance, confidence\n"
                     "and approximation terms and their sum, from r0 = f(theta_0) - y split on\n"
                     "the information space of J(theta_0) with cut-off alpha; its hypotheses\n"
                     "(alpha_bar, ||X||, the width (6.57), eta_max), one line for each the run\n"
                     "violates, and Theorem 6.21's tighter variance. --theorem 3.2: random\n"
                     "initialisation, on the analytic kernel Sigma(X) (jacspec ntk).",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb;
  js_svds_options opt;
  js_bound_inputs in;
  cli_theory t;
  cli_results out = {0};
  int is32 = args.theorem && strcmp(args.theorem, "3.2") == 0;
  if (args.theorem && !is32 && strcmp(args.theorem, "3.3") != 0) {
    cli_error("--theorem: expected 3.3 or 3.2, got '%s'", args.theorem);
    return 2;
  }
  /* Sigma(X) pairs all n samples (js_ntk): one process holds them. */
  if (is32 && cli_ranks() > 1) {
    cli_error("bound: --theorem 3.2 builds the n x n kernel Sigma(X) on one process; "
              "run it without mpirun");
    return 2;
  }
  if ((rc = cli_problem_load(&pb)) || (rc = parse_inputs(&in)) ||
      (rc = cli_solver_parse(&opt, pb.seed)) ||
      (rc = cli_rank_parse("rank", NULL, args.cutoff, 10, &opt)) ||
      (rc = cli_precision_check(&pb, is32 ? NULL : &opt, is32 ? "bound --theorem 3.2" : "bound")) ||
      (rc = cli_problem_plan(&pb, &opt)) || (rc = cli_theory_inputs(&pb, "bound", &t)) ||
      (rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  rc = is32 ? theorem32(&pb, &opt, &in, &t, &out) : theorem33(&pb, &opt, &in, &t, &out);
done:
  if (cli_results_close(&out, rc == 0) && rc == 0)
    rc = 1;
  cli_problem_free(&pb);
  return rc;
}

/* jacspec ntk: the analytic kernel of the paper's Definition 3.1 on a data
 * set: its top and smallest eigenvalues, y^T Sigma(X)^{-1} y (the quantity
 * of (3.4)) and, for a width k, how far the empirical kernel K/nu^2 J J^T
 * of the paper's network at initialisation is from it. */
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/problem.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdlib.h>

static struct {
  const char *act, *top, *smallest, *hidden, *nu, *seed, *nodes, *dense_limit, *tol,
      *max_iter, *json;
  int quiet;
} args;

static const cli_opt ntk_options[] = {
    {"act", "NAME", "linear relu leaky:s softplus tanh sigmoid quadratic (default softplus)",
     &args.act, NULL},
    {"top", "R", "the R largest eigenvalues of Sigma~ (default 10, at most n)", &args.top,
     NULL},
    {"smallest", "R", "the R smallest eigenvalues (default 1)", &args.smallest, NULL},
    {"hidden", "K", "also the distance ||K/nu^2 J J^T - Sigma||_F / ||Sigma||_F of the "
     "network V phi(W x) of width K at its initialisation", &args.hidden, NULL},
    {"nu", "NU", "--hidden: output-layer scale nu (default 1)", &args.nu, NULL},
    {"seed", "S", "--hidden: initialisation seed; and the Lanczos start (default 1)",
     &args.seed, NULL},
    {"nodes", "Q", "Gauss-Hermite nodes per dimension, 2..64 (default 64)", &args.nodes,
     NULL},
    {"dense-limit", "SIZE", "largest dense n x n kernel; above it the kernel is matrix-free "
     "(default 1G)", &args.dense_limit, NULL},
    {"tol", "TOL", "relative residual of conjugate gradients; Lanczos tolerance "
     "(default 1e-10)", &args.tol, NULL},
    {"maxiter", "N", "conjugate-gradient iterations (default 10 n)", &args.max_iter, NULL},
    {"json", "FILE", "write the results as JSON to FILE (- for stdout)", &args.json, NULL},
    {"quiet", NULL, "accepted for symmetry with the other verbs (ntk prints no progress)",
     NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

typedef struct ntk_run {
  js_activation act;
  js_ntk_options opt;
  int64_t top, smallest, hidden;
  double nu;
  uint64_t seed;
  double *largest, *lowest;
  double quadratic;   /* y^T Sigma(X)^{-1} y */
  int64_t cg_iterations;
  int cg_converged;
  double distance;    /* NaN without --hidden */
} ntk_run;

static int parse(const js_dataset *data, ntk_run *r) {
  int64_t n = data->n_samples;
  js_ntk_options opt;
  js_ntk_options_init_defaults(&opt);
  *r = (ntk_run){.act = {JS_ACT_SOFTPLUS, 0}, .opt = opt, .top = 10, .smallest = 1,
                 .nu = 1, .seed = 1, .distance = NAN};
  if (args.act && js_activation_parse(args.act, &r->act)) {
    cli_error("--act: %s", js_last_error());
    return 2;
  }
  r->top = r->top > n ? n : r->top;
  if ((args.top && cli_int("top", args.top, 0, n, &r->top)) ||
      (args.smallest && cli_int("smallest", args.smallest, 0, n, &r->smallest)) ||
      (args.hidden && cli_int("hidden", args.hidden, 1, 1 << 24, &r->hidden)) ||
      (args.nu && cli_double("nu", args.nu, 1e-300, 1e300, &r->nu)) ||
      (args.seed && cli_seed("seed", args.seed, &r->seed)) ||
      (args.nodes && cli_int("nodes", args.nodes, 2, 64, &r->opt.nodes)) ||
      (args.dense_limit && cli_bytes("dense-limit", args.dense_limit, &r->opt.dense_limit)) ||
      (args.tol && cli_double("tol", args.tol, 1e-300, 0.5, &r->opt.tol)) ||
      (args.max_iter && cli_int("maxiter", args.max_iter, 1, INT64_MAX, &r->opt.max_iter)))
    return 2;
  if (args.nu && !args.hidden) {
    cli_error("--nu is the scale of the network of --hidden K");
    return 2;
  }
  r->opt.seed = r->seed;
  r->largest = malloc(sizeof(double) * (size_t)(r->top + 1));
  r->lowest = malloc(sizeof(double) * (size_t)(r->smallest + 1));
  if (!r->largest || !r->lowest) {
    cli_error("ntk: out of memory");
    return 1;
  }
  return 0;
}

/* The paper's network V phi(W x) of width k at its initialisation (W_1
 * trained), and its Jacobian against the kernel. */
static int empirical_distance(const cli_problem *pb, js_ntk *k, ntk_run *r) {
  int64_t widths[3] = {pb->data->dim, r->hidden, pb->data->n_outputs};
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 2;
  opt.widths = widths;
  opt.act = r->act;
  opt.nu = r->nu;
  opt.seed = r->seed;
  js_net *net = NULL;
  js_linop *jac = NULL;
  int status = js_net_create_mlp(&opt, &net);
  if (!status)
    status = js_jacobian_create(net, pb->data, &pb->jac, &jac);
  if (!status)
    status = js_ntk_empirical_distance(k, jac, r->nu, &r->distance);
  js_linop_free(jac);
  js_net_free(net);
  return status ? cli_library_error() : 0;
}

static const char *method(js_activation act) {
  switch (act.kind) {
  case JS_ACT_SOFTPLUS:
  case JS_ACT_TANH:
  case JS_ACT_SIGMOID: return "Gauss-Hermite quadrature";
  default: return "closed form";
  }
}

static void print_table(FILE *f, const cli_problem *pb, const js_ntk *k, const ntk_run *r) {
  char act[64];
  js_activation_name(r->act, act, sizeof act);
  int64_t n = pb->data->n_samples, K = pb->data->n_outputs;
  cli_problem_data_line(pb, f, 0, 0);
  fprintf(f, "# Sigma~(X) = E_w[(phi'(Xw) phi'(Xw)^T) o XX^T] (Definition 3.1), phi = %s: "
          "%s, %s\n", act, method(r->act),
          js_ntk_is_dense(k) ? "dense n x n" : "matrix-free (rows on the fly)");
  fprintf(f, "# Sigma(X) = I_K (x) Sigma~(X); E[J J^T] = nu^2/K Sigma(X) at the paper's "
          "initialisation\n");
  fprintf(f, "%6s  %22s\n", "s", "eigenvalue");
  for (int64_t s = 0; s < r->top; s++)
    fprintf(f, "%6lld  %22.15e\n", (long long)s + 1, r->largest[s]);
  for (int64_t s = r->smallest - 1; s >= 0; s--)
    fprintf(f, "%6lld  %22.15e\n", (long long)(n - s), r->lowest[s]);
  fprintf(f, "y^T Sigma(X)^-1 y   %.10g  (conjugate gradients, %lld iterations%s)\n",
          r->quadratic, (long long)r->cg_iterations, r->cg_converged ? "" : ", NOT converged");
  fprintf(f, "(3.4) sqrt(K/n y^T Sigma^-1 y)   %.10g\n", sqrt(K * r->quadratic / (double)n));
  if (r->hidden)
    fprintf(f, "||K/nu^2 J J^T - Sigma||_F / ||Sigma||_F   %.6g  (width k = %lld, nu = %g, "
            "seed %llu)\n", r->distance, (long long)r->hidden, r->nu,
            (unsigned long long)r->seed);
}

static void write_json(FILE *f, const cli_problem *pb, const js_ntk *k, const ntk_run *r) {
  char act[64];
  js_activation_name(r->act, act, sizeof act);
  int64_t n = pb->data->n_samples, K = pb->data->n_outputs;
  json_writer j;
  json_begin(&j, f);
  cli_problem_data_json(pb, &j);
  json_int(&j, "n_samples", n);
  json_int(&j, "n_outputs", K);
  json_string(&j, "activation", act);
  json_string(&j, "method", method(r->act));
  json_int(&j, "nodes", r->opt.nodes);
  json_bool(&j, "dense", js_ntk_is_dense(k));
  json_numbers(&j, "eigenvalues", r->top, r->largest);
  json_numbers(&j, "smallest_eigenvalues", r->smallest, r->lowest);
  json_number(&j, "lambda_min", r->smallest > 0 ? r->lowest[0] : NAN);
  json_number(&j, "y_sigma_inv_y", r->quadratic);
  json_number(&j, "bound_3_4", sqrt(K * r->quadratic / (double)n));
  json_int(&j, "cg_iterations", r->cg_iterations);
  json_bool(&j, "cg_converged", r->cg_converged);
  if (r->hidden) {
    json_int(&j, "hidden", r->hidden);
    json_number(&j, "nu", r->nu);
    json_number(&j, "empirical_distance", r->distance);
  }
  json_end(&j);
}

int cli_ntk(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, ntk_options, NULL};
  int rc = cli_parse("ntk",
                     "The analytic kernel Sigma~(X) of Definition 3.1 (the multiclass NTK\n"
                     "Sigma(X) = I_K (x) Sigma~(X)): its top and smallest eigenvalues,\n"
                     "y^T Sigma(X)^-1 y by conjugate gradients, and with --hidden K the\n"
                     "distance of the empirical kernel K/nu^2 J J^T of a width-K network.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb;
  ntk_run r = {0};
  js_ntk *k = NULL;
  cli_results out = {0};
  /* The kernel pairs all n samples: one process holds them (no shards). */
  if (cli_ranks() > 1) {
    cli_error("ntk: the n x n kernel Sigma(X) runs on one process; run it without mpirun");
    return 2;
  }
  if ((rc = cli_problem_load_data(&pb)) || (rc = parse(pb.data, &r)) ||
      (rc = cli_results_open(&out, args.json, NULL)))
    goto done;
  if (js_ntk_create(pb.data->x, pb.data->n_samples, pb.data->dim, r.act, &r.opt, &k) ||
      js_ntk_eigenvalues(k, r.top, r.smallest, r.largest, r.lowest)) {
    rc = cli_library_error();
    goto done;
  }
  int status = js_ntk_quadratic_form(k, pb.data->y, pb.data->n_outputs, &r.quadratic,
                                     &r.cg_iterations);
  r.cg_converged = status == JS_OK;
  if (status && status != JS_ENOCONV) {
    rc = cli_library_error();
    goto done;
  }
  char message[1024];
  snprintf(message, sizeof message, "%s", status ? js_last_error() : "");
  if (r.hidden && (rc = empirical_distance(&pb, k, &r)))
    goto done;
  if (cli_results_table_wanted(&out))
    print_table(stdout, &pb, k, &r);
  if (out.json.f)
    write_json(out.json.f, &pb, k, &r);
  /* Not converged: the value is reported, and the exit says so. */
  if (!r.cg_converged) {
    cli_error("%s", message);
    rc = 3;
  }
done:
  if (cli_results_close(&out, rc == 0 || rc == 3) && rc == 0)
    rc = 1;
  free(r.largest);
  free(r.lowest);
  js_ntk_free(k);
  cli_problem_free(&pb);
  return rc;
}

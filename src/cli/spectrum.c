/* jacspec spectrum: the top singular values (and vectors) of the Jacobian
 * of a network on a data set, at the network's weights. */
#include "cli/gram.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/plot.h"
#include "cli/precision.h"
#include "cli/problem.h"
#include "cli/solver_args.h"
#include "cli/vectors.h"
#include "cli/verbs.h"

#include <stdlib.h>
#include <string.h>

static struct {
  const char *top, *smallest, *cutoff, *dense_limit, *json, *csv, *save_vectors;
  int dense, quiet;
} args;

static const cli_opt spectrum_options[] = {
    {"top", "R", "number of singular triplets (default 20)", &args.top, NULL},
    {"cutoff", "ALPHA", "instead of --top: all singular values above ALPHA", &args.cutoff, NULL},
    {"smallest", "R", "instead of --top: the R smallest singular triplets (ascending)",
     &args.smallest, NULL},
    {"dense", NULL, "the same as --method dense: LAPACK's SVD of the explicit J (reference)",
     NULL, &args.dense},
    {"dense-limit", "SIZE", "largest explicit J for --dense (default 1G)", &args.dense_limit,
     NULL},
    {"json", "FILE", "write the results as JSON to FILE (- for stdout)", &args.json, NULL},
    {"csv", "FILE", "write s, singular_value, residual_u, residual_v as CSV (- for stdout)",
     &args.csv, NULL},
    {"save-vectors", "PREFIX", "write PREFIX_U.npy (nK x r) and PREFIX_V.npy (p x r)",
     &args.save_vectors, NULL},
    {"quiet", NULL, "no progress on stderr", NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

static int parse_solver(js_svds_options *opt, uint64_t seed) {
  if (args.smallest && (args.top || args.cutoff)) {
    cli_error("give --smallest alone, without --top or --cutoff");
    return 2;
  }
  if (cli_solver_parse(opt, seed) ||
      cli_rank_parse(args.smallest ? "smallest" : "top",
                     args.smallest ? args.smallest : args.top, args.cutoff, 20, opt))
    return 2;
  opt->smallest = args.smallest != NULL;
  if (args.dense)
    opt->method = JS_SVDS_DENSE;
  if (args.dense_limit && cli_bytes("dense-limit", args.dense_limit, &opt->dense_limit))
    return 2;
  return 0;
}

/* U of all ranks (rows x rank), each rank's rows at its offset: a sum of
 * blocks that are zero outside each rank's rows. */
static double *gather_u(const js_svds_result *res) {
  double *u = calloc((size_t)(res->rows * res->rank) + 1, sizeof(double));
  int rc = 0;
  if (!u) {
    cli_error("--save-vectors: out of memory");
    rc = 1;
  }
  for (int64_t s = 0; u && s < res->rank; s++)
    memcpy(u + s * res->rows + res->row_offset, res->u + s * res->local_rows,
           sizeof(double) * (size_t)res->local_rows);
  if (cli_agree(rc) || js_comm_sum(res->comm, u, res->rows * res->rank)) {
    free(u);
    return NULL;
  }
  return u;
}

static int save_vectors(const js_svds_result *res, const char *prefix) {
  char path[4096];
  double *u = res->u;
  if (res->local_rows < res->rows && !(u = gather_u(res)))
    return 1;
  snprintf(path, sizeof path, "%s_U.npy", prefix);
  int rc = cli_rank() == 0 ? cli_columns_write(path, u, res->rows, res->rank) : 0;
  if (u != res->u)
    free(u);
  snprintf(path, sizeof path, "%s_V.npy", prefix);
  return rc || cli_rank() != 0 ? rc : cli_columns_write(path, res->v, res->cols, res->rank);
}

static const char *side_name(js_side side) {
  return side == JS_SIDE_PARAMS ? "params" : "outputs";
}

/* What computed the triplets, for the table's header. */
static const char *method_description(const js_svds_result *res) {
  switch (res->method) {
  case JS_SVDS_DENSE: return "dense LAPACK SVD of the explicit J";
  case JS_SVDS_GKL: return "Golub-Kahan-Lanczos bidiagonalisation of J";
  default:
    return res->side == JS_SIDE_PARAMS ? "Lanczos on J^T J (params side)"
                                       : "Lanczos on J J^T (outputs side)";
  }
}

static void print_table(FILE *f, const cli_problem *pb, const js_svds_result *res,
                        const double *deloc, const cli_gram *gram,
                        const cli_refinement *refinement) {
  cli_problem_describe(pb, f);
  fprintf(f, "# J is %lld x %lld (nK x p); %s\n", (long long)res->rows,
          (long long)res->cols, method_description(res));
  cli_gram_describe(gram, f);
  cli_refinement_describe(refinement, f);
  fprintf(f, "# %lld of %lld triplets converged, %lld restarts, %lld J and %lld J^T products, %.3f s\n",
          (long long)res->rank, (long long)res->requested, (long long)res->iterations,
          (long long)res->n_apply, (long long)res->n_apply_t, res->seconds);
  if (res->numerical_rank >= 0)
    fprintf(f, "# numerical rank %lld (below the %lld asked for): sigma_rho / sigma_rho+1 = %.3g\n",
            (long long)res->numerical_rank, (long long)res->requested, res->rank_gap);
  if (res->smallest)
    fprintf(f, "# the %lld smallest, ascending; residuals relative to sigma_1 = %.6g\n",
            (long long)res->requested, res->scale);
  fprintf(f, "%6s  %22s  %13s  %13s  %10s%s\n", "s", "sigma_s", "|Jv-su|/s1", "|J'u-sv|/s1",
          "deloc", res->refined ? "   error bound" : "");
  for (int64_t s = 0; s < res->rank; s++) {
    fprintf(f, "%6lld  %22.15e  %13.3e  %13.3e  %10.4g", (long long)s + 1, res->sigma[s],
            res->residual_u[s], res->residual_v[s], deloc[s]);
    if (res->refined) /* relative to sigma_s (jacspec.h) */
      fprintf(f, "  %12.3e", res->error_bound[s]);
    fputc('\n', f);
  }
}

static void write_json(FILE *f, const cli_problem *pb, const js_svds_result *res,
                       const double *deloc, const cli_gram *gram,
                       const cli_refinement *refinement) {
  json_writer j;
  json_begin(&j, f);
  cli_problem_data_json(pb, &j);
  json_int(&j, "n_samples", cli_samples(pb->data));
  json_int(&j, "dim", pb->data->dim);
  json_int(&j, "n_outputs", pb->data->n_outputs);
  json_int(&j, "n_params", res->cols);
  json_string(&j, "method", cli_method_name(res->method));
  json_string(&j, "side", side_name(res->side));
  json_int(&j, "rank", res->rank);
  json_int(&j, "requested", res->requested);
  json_bool(&j, "smallest", res->smallest);
  json_number(&j, "sigma_1", res->scale);
  if (res->numerical_rank >= 0) {
    json_int(&j, "numerical_rank", res->numerical_rank);
    json_number(&j, "rank_gap", res->rank_gap);
  }
  json_numbers(&j, "singular_values", res->rank, res->sigma);
  /* One residual per triplet: the larger of the two sides'. */
  json_array(&j, "residuals");
  for (int64_t s = 0; s < res->rank; s++)
    json_number(&j, NULL, res->residual_u[s] > res->residual_v[s] ? res->residual_u[s]
                                                                  : res->residual_v[s]);
  json_close_array(&j);
  json_numbers(&j, "residuals_u", res->rank, res->residual_u);
  json_numbers(&j, "delocalization", res->rank, deloc);
  json_numbers(&j, "residuals_v", res->rank, res->residual_v);
  json_int(&j, "jvp_count", res->n_apply);
  json_int(&j, "vjp_count", res->n_apply_t);
  cli_refinement_json(refinement, res->rank, res->error_bound, &j);
  cli_gram_json(gram, &j);
  json_int(&j, "iterations", res->iterations);
  json_bool(&j, "converged", res->converged);
  json_number(&j, "seconds", res->seconds);
  json_end(&j);
}

/* The singular values on a log axis against their index, the cut-off
 * marked. */
static int plot(cli_plot *p, const js_svds_result *res, double cutoff) {
  if (!p->image || cli_rank() > 0) /* rank 0 alone draws */
    return 0;
  if (cli_plot_open(p))
    return 1;
  fprintf(p->f, "# s sigma_s\n");
  for (int64_t s = 0; s < res->rank; s++) {
    fprintf(p->f, "%lld ", (long long)s + 1);
    cli_plot_value(p->f, res->sigma[s]);
    fputc('\n', p->f);
  }
  char commands[2048];
  int used = snprintf(commands, sizeof commands,
                      "set logscale y\nset format y '10^{%%L}'\nset grid\n"
                      "set xlabel '%s'\nset ylabel 'singular value {/Symbol s}_s'\n"
                      "set title 'J is %lld x %lld: %s'\n",
                      res->smallest ? "s (ascending from {/Symbol s}_{min})" : "s",
                      (long long)res->rows, (long long)res->cols,
                      res->method == JS_SVDS_GKL     ? "Golub-Kahan-Lanczos"
                      : res->method == JS_SVDS_DENSE ? "dense SVD"
                                                     : "Lanczos on the Gram side");
  /* Cut-off mode keeps the values above alpha: the range reaches down to it. */
  if (cutoff > 0 && res->rank > 0)
    used += snprintf(commands + used, sizeof commands - (size_t)used,
                     "set yrange [%.10g:%.10g]\n", cutoff / 1.5, res->sigma[0] * 1.5);
  if (cutoff > 0)
    used += snprintf(commands + used, sizeof commands - (size_t)used,
                     "set arrow from graph 0, first %.10g to graph 1, first %.10g nohead "
                     "dashtype 2 linecolor rgb 'red'\n"
                     "set label 'cut-off {/Symbol a} = %.4g' at graph 0.98, first %.10g "
                     "right offset 0,0.8 textcolor rgb 'red' front\n",
                     cutoff, cutoff, cutoff, cutoff);
  snprintf(commands + used, sizeof commands - (size_t)used,
           "plot data using 1:2 with linespoints pointtype 7 pointsize 0.6 notitle\n");
  return cli_plot_finish(p, commands);
}

static void write_csv(FILE *f, const js_svds_result *res) {
  fprintf(f, "s,singular_value,residual_u,residual_v\n");
  for (int64_t s = 0; s < res->rank; s++)
    fprintf(f, "%lld,%.17g,%.17g,%.17g\n", (long long)s + 1, res->sigma[s],
            res->residual_u[s], res->residual_v[s]);
}

int cli_spectrum(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_solver_options, cli_gram_options,
                                          spectrum_options, cli_plot_options, NULL};
  int rc = cli_parse("spectrum",
                     "Top singular values (and vectors) of the Jacobian J = df/dtheta of a\n"
                     "network on a data set, without forming J (ARPACK Lanczos).",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb = {0};
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  double *deloc = NULL; /* ||u_s||_inf sqrt(nK) */
  cli_results out = {0};
  js_svds_options opt;
  cli_progress progress;
  cli_plot picture;
  cli_gram gram = {0};
  cli_refinement refinement = {0};
  int plot_rc = 0;
  if ((rc = cli_plot_parse(&picture)) || (rc = cli_problem_load(&pb)) ||
      (rc = parse_solver(&opt, pb.seed)) ||
      (rc = cli_precision_check(&pb, &opt, "spectrum")) ||
      (rc = cli_problem_plan(&pb, &opt)) ||
      (rc = cli_gram_decide(&pb, cli_gram_svds_obstacle(&pb, &opt), cli_gram_svds_steps(&opt),
                            &gram)))
    goto done;
  /* u for the delocalisation of each u_s; v only to be saved */
  opt.want_vectors = args.save_vectors ? JS_VECTORS_ALL : JS_VECTORS_U;
  cli_progress_init(&progress, args.quiet);
  opt.progress = cli_progress_report;
  opt.progress_ctx = &progress;
  if ((rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  if (js_jacobian_create(pb.net, pb.data, &pb.jac, &op)) {
    rc = cli_library_error();
    goto done;
  }
  opt.fast = js_jacobian_fast(op);
  if ((rc = cli_gram_form(&gram, opt.fast ? opt.fast : op, &opt.gram)))
    goto done;
  int status = js_svds(op, &opt, &res);
  cli_progress_done(&progress);
  if (status != JS_OK && status != JS_ENOCONV) {
    rc = cli_library_error();
    goto done;
  }
  cli_gram_count(&gram, res);
  refinement.tol = opt.tol;
  cli_refinement_add(&refinement, res);
  if ((rc = cli_problem_save_init(&pb)) || (rc = cli_problem_save_model(pb.net)) ||
      (args.save_vectors && (rc = save_vectors(res, args.save_vectors))))
    goto done;
  if (!(deloc = malloc(sizeof(double) * (size_t)(res->rank + 1))) ||
      js_svds_delocalization(res, deloc)) {
    rc = deloc ? cli_library_error() : (cli_error("spectrum: out of memory"), 1);
    goto done;
  }
  if (cli_results_table_wanted(&out))
    print_table(stdout, &pb, res, deloc, &gram, &refinement);
  if (out.json.f)
    write_json(out.json.f, &pb, res, deloc, &gram, &refinement);
  if (out.csv.f)
    write_csv(out.csv.f, res);
  /* A failed drawing fails the run but keeps its results. */
  plot_rc = plot(&picture, res, opt.cutoff);
  /* Partial convergence: what converged is reported, and the exit says so. */
  if (status == JS_ENOCONV) {
    cli_error("%s", js_last_error());
    rc = 3;
  }
done:
  if (cli_results_close(&out, rc == 0 || rc == 3) && rc == 0)
    rc = 1;
  free(deloc);
  if (rc == 0)
    rc = plot_rc;
  js_svds_result_free(res);
  cli_gram_free(&gram);
  js_linop_free(op);
  cli_problem_free(&pb);
  return rc;
}

/* jacspec density: the density of all min(nK, p) singular values of the
 * Jacobian by stochastic Lanczos quadrature (js_density), as a histogram. */
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/problem.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *probes, *steps, *probe, *block, *bins, *range, *cutoff, *json, *csv,
      *save_nodes;
  int log, quiet;
} args;

static const cli_opt density_options[] = {
    {"probes", "N", "Hutchinson probe vectors (default 20)", &args.probes, NULL},
    {"steps", "M", "Lanczos steps per probe (default 120)", &args.steps, NULL},
    {"probe", "KIND", "rademacher or gaussian (default rademacher); drawn from --seed",
     &args.probe, NULL},
    {"block", "B", "probes run side by side as one block of products (default 4)",
     &args.block, NULL},
    {"bins", "N", "histogram bins (default 50)", &args.bins, NULL},
    {"range", "LO:HI", "bin range (default 0 to 1.05 sigma_max)", &args.range, NULL},
    {"log", NULL, "bins of equal width in log sigma", NULL, &args.log},
    {"cutoff", "ALPHA", "estimate c(ALPHA), the number of singular values above ALPHA",
     &args.cutoff, NULL},
    {"json", "FILE", "write the results as JSON to FILE (- for stdout)", &args.json, NULL},
    {"csv", "FILE", "write bin, lo, hi, count as CSV (- for stdout)", &args.csv, NULL},
    {"save-nodes", "FILE.npy",
     "write the quadrature (n_nodes x 3: probe, sigma, weight; each probe's weights sum "
     "to min(nK, p))",
     &args.save_nodes, NULL},
    {"quiet", NULL, "no progress on stderr", NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

static int parse_range(const char *text, double *lo, double *hi) {
  const char *colon = strchr(text, ':');
  char lo_text[64];
  if (!colon || (size_t)(colon - text) >= sizeof lo_text) {
    cli_error("--range: expected LO:HI, got '%s'", text);
    return 2;
  }
  memcpy(lo_text, text, (size_t)(colon - text));
  lo_text[colon - text] = '\0';
  if (cli_double("range", lo_text, 0, 1e300, lo) || cli_double("range", colon + 1, 0, 1e300, hi))
    return 2;
  if (*lo >= *hi || (args.log && *lo <= 0)) {
    cli_error("--range: need 0 %s LO < HI, got %s", args.log ? "<" : "<=", text);
    return 2;
  }
  return 0;
}

static int parse_options(js_density_options *opt, uint64_t seed) {
  js_density_options_init_defaults(opt);
  opt->seed = seed;
  opt->log_bins = args.log;
  if ((args.probes && cli_int("probes", args.probes, 1, INT32_MAX, &opt->probes)) ||
      (args.steps && cli_int("steps", args.steps, 1, INT32_MAX, &opt->steps)) ||
      (args.block && cli_int("block", args.block, 1, 4096, &opt->block)) ||
      (args.bins && cli_int("bins", args.bins, 1, 1000000, &opt->bins)) ||
      (args.range && parse_range(args.range, &opt->range_lo, &opt->range_hi)) ||
      (args.cutoff && cli_double("cutoff", args.cutoff, 1e-300, 1e300, &opt->cutoff)))
    return 2;
  if (args.probe) {
    if (strcmp(args.probe, "rademacher") == 0)
      opt->probe = JS_PROBE_RADEMACHER;
    else if (strcmp(args.probe, "gaussian") == 0)
      opt->probe = JS_PROBE_GAUSSIAN;
    else {
      cli_error("--probe: expected rademacher or gaussian, got '%s'", args.probe);
      return 2;
    }
  }
  return 0;
}

static int save_nodes(const char *path, const js_density_result *res) {
  double *rows = malloc(sizeof(double) * 3 * (size_t)res->n_nodes);
  if (!rows) {
    cli_error("%s: out of memory", path);
    return 1;
  }
  for (int64_t l = 0; l < res->probes; l++)
    for (int64_t k = res->node_start[l]; k < res->node_start[l + 1]; k++) {
      rows[3 * k] = (double)l;
      rows[3 * k + 1] = res->nodes[k];
      rows[3 * k + 2] = res->weights[k];
    }
  int64_t shape[2] = {res->n_nodes, 3};
  int rc = cli_rank() == 0 && js_npy_write(path, rows, 2, shape) ? cli_library_error() : 0;
  free(rows);
  return rc;
}

static void print_table(FILE *f, const cli_problem *pb, const js_density_result *res) {
  fprintf(f, "# data %s: n=%lld d=%lld K=%lld; J is %lld x %lld (nK x p)\n", pb->data_name,
          (long long)cli_samples(pb->data), (long long)pb->data->dim,
          (long long)pb->data->n_outputs, (long long)res->rows, (long long)res->cols);
  fprintf(f, "# density of the %lld singular values by stochastic Lanczos quadrature on %s\n",
          (long long)res->size, res->side == JS_SIDE_PARAMS ? "J^T J" : "J J^T");
  fprintf(f, "# %lld probes x %lld steps (%lld stopped early), %lld J and %lld J^T products, "
             "%.3f s; largest node %.6g\n",
          (long long)res->probes, (long long)res->steps, (long long)res->breakdowns,
          (long long)res->n_apply, (long long)res->n_apply_t, res->seconds, res->sigma_max);
  if (res->below_range > 0 || res->above_range > 0)
    fprintf(f, "# outside the range: %.1f below, %.1f above\n", res->below_range,
            res->above_range);
  if (res->cutoff > 0)
    fprintf(f, "# c(%.6g) = %.2f +- %.2f singular values above the cut-off\n", res->cutoff,
            res->count_above, res->count_above_stderr);
  fprintf(f, "%6s  %14s  %14s  %12s\n", "bin", "lo", "hi", "count");
  for (int64_t i = 0; i < res->bins; i++)
    fprintf(f, "%6lld  %14.6g  %14.6g  %12.2f\n", (long long)i + 1, res->edges[i],
            res->edges[i + 1], res->counts[i]);
}

static void write_json(FILE *f, const cli_problem *pb, const js_density_result *res) {
  json_writer j;
  json_begin(&j, f);
  json_string(&j, "data", pb->data_name);
  json_int(&j, "n_samples", cli_samples(pb->data));
  json_int(&j, "n_outputs", pb->data->n_outputs);
  json_int(&j, "n_params", res->cols);
  json_string(&j, "side", res->side == JS_SIDE_PARAMS ? "params" : "outputs");
  json_int(&j, "size", res->size);
  json_int(&j, "probes", res->probes);
  json_int(&j, "steps", res->steps);
  json_int(&j, "breakdowns", res->breakdowns);
  json_bool(&j, "log", res->log_bins);
  json_numbers(&j, "edges", res->bins + 1, res->edges);
  json_numbers(&j, "counts", res->bins, res->counts);
  json_number(&j, "below_range", res->below_range);
  json_number(&j, "above_range", res->above_range);
  json_number(&j, "sigma_max", res->sigma_max);
  json_number(&j, "cutoff", res->cutoff > 0 ? res->cutoff : NAN);
  json_number(&j, "count_above", res->count_above);
  json_number(&j, "count_above_stderr", res->count_above_stderr);
  json_int(&j, "jvp_count", res->n_apply);
  json_int(&j, "vjp_count", res->n_apply_t);
  json_number(&j, "seconds", res->seconds);
  json_end(&j);
}

static void write_csv(FILE *f, const js_density_result *res) {
  fprintf(f, "bin,lo,hi,count\n");
  for (int64_t i = 0; i < res->bins; i++)
    fprintf(f, "%lld,%.17g,%.17g,%.17g\n", (long long)i + 1, res->edges[i], res->edges[i + 1],
            res->counts[i]);
}

int cli_density(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options, density_options,
                                          NULL};
  int rc = cli_parse("density",
                     "The density of all min(nK, p) singular values of the Jacobian J by\n"
                     "stochastic Lanczos quadrature (probes x steps products), as a histogram.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb;
  js_linop *op = NULL;
  js_density_result *res = NULL;
  cli_results out = {0};
  js_density_options opt;
  cli_progress progress;
  if ((rc = cli_problem_load(&pb)) || (rc = parse_options(&opt, pb.seed)))
    goto done;
  int64_t rows = cli_samples(pb.data) * pb.data->n_outputs, p = js_net_n_params(pb.net);
  if ((rc = cli_problem_plan_bytes(&pb, js_density_memory_bytes(&opt, rows, p),
                                   opt.block < opt.probes ? opt.block : opt.probes)))
    goto done;
  cli_progress_init(&progress, args.quiet);
  opt.progress = cli_progress_report;
  opt.progress_ctx = &progress;
  if ((rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  if (js_jacobian_create(pb.net, pb.data, &pb.jac, &op)) {
    rc = cli_library_error();
    goto done;
  }
  int status = js_density(op, &opt, &res);
  cli_progress_done(&progress);
  if (status) {
    rc = cli_library_error();
    goto done;
  }
  if ((rc = cli_problem_save_init(&pb)) ||
      (args.save_nodes && (rc = save_nodes(args.save_nodes, res))))
    goto done;
  if (cli_results_table_wanted(&out))
    print_table(stdout, &pb, res);
  if (out.json.f)
    write_json(out.json.f, &pb, res);
  if (out.csv.f)
    write_csv(out.csv.f, res);
done:
  if (cli_results_close(&out, rc == 0) && rc == 0)
    rc = 1;
  js_density_result_free(res);
  js_linop_free(op);
  cli_problem_free(&pb);
  return rc;
}

/* jacspec density: the density of all min(nK, p) singular values of the
 * Jacobian by stochastic Lanczos quadrature (js_density), as a histogram. */
#include "cli/gram.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/plot.h"
#include "cli/precision.h"
#include "cli/problem.h"
#include "cli/verbs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *probes, *steps, *probe, *block, *bins, *range, *cutoff, *json, *csv,
      *save_nodes, *compare;
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
    {"compare", "RUN.json", "--plot: overlay the histogram of an earlier density --json run "
     "(e.g. at initialisation against after training)", &args.compare, NULL},
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

static void print_table(FILE *f, const cli_problem *pb, const js_density_result *res,
                        const cli_gram *gram) {
  cli_problem_data_line(pb, f, res->rows, res->cols);
  fprintf(f, "# density of the %lld singular values by stochastic Lanczos quadrature on %s\n",
          (long long)res->size, res->side == JS_SIDE_PARAMS ? "J^T J" : "J J^T");
  fprintf(f, "# %lld probes x %lld steps (%lld stopped early), %lld J and %lld J^T products, "
             "%.3f s; largest node %.6g\n",
          (long long)res->probes, (long long)res->steps, (long long)res->breakdowns,
          (long long)res->n_apply, (long long)res->n_apply_t, res->seconds, res->sigma_max);
  cli_gram_describe(gram, f);
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

static void write_json(FILE *f, const cli_problem *pb, const js_density_result *res,
                       const cli_gram *gram) {
  json_writer j;
  json_begin(&j, f);
  cli_problem_data_json(pb, &j);
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
  cli_gram_json(gram, &j);
  json_number(&j, "seconds", res->seconds);
  json_end(&j);
}

/* An earlier run's histogram: the "edges" and "counts" arrays of its JSON. */
typedef struct histogram {
  double *edges, *counts;
  int64_t bins;
} histogram;

/* The numbers of the JSON array `key` in text (null as NaN); n receives
 * their count. NULL when the key is missing or memory runs out. */
static double *json_array_of(const char *text, const char *key, int64_t *n) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":[", key);
  const char *at = strstr(text, pattern);
  if (!at)
    return NULL;
  at += strlen(pattern);
  size_t capacity = 64;
  double *values = malloc(sizeof(double) * capacity);
  *n = 0;
  while (values && *at && *at != ']') {
    char *end;
    double v = strncmp(at, "null", 4) == 0 ? (end = (char *)at + 4, NAN) : strtod(at, &end);
    if (end == at)
      break;
    if ((size_t)*n == capacity) {
      double *grown = realloc(values, sizeof(double) * (capacity *= 2));
      if (!grown) {
        free(values);
        return NULL;
      }
      values = grown;
    }
    values[(*n)++] = v;
    at = end + (*end == ',');
  }
  if (values && *at != ']') { /* not a flat array of numbers */
    free(values);
    values = NULL;
  }
  return values;
}

/* --compare RUN.json, read before any work. Returns 0, or prints one line
 * and returns 1 (2 when --compare is given without --plot). */
static int read_compare(const cli_plot *p, histogram *h) {
  memset(h, 0, sizeof *h);
  if (!args.compare)
    return 0;
  if (!p->image) {
    cli_error("--compare goes with --plot FILE");
    return 2;
  }
  FILE *f = fopen(args.compare, "r");
  if (!f) {
    cli_error("%s: cannot read: %s", args.compare, strerror(errno));
    return 1;
  }
  char *text = NULL;
  size_t size = 0, used = 0;
  for (size_t got = 1; got > 0; used += got) {
    if (used + 4096 + 1 > size) {
      char *grown = realloc(text, size = 2 * size + 4096 + 1);
      if (!grown)
        break;
      text = grown;
    }
    got = fread(text + used, 1, size - used - 1, f);
  }
  fclose(f);
  int64_t n_edges = 0;
  if (text) {
    text[used] = '\0';
    h->edges = json_array_of(text, "edges", &n_edges);
    h->counts = json_array_of(text, "counts", &h->bins);
  }
  free(text);
  if (!h->edges || !h->counts || h->bins < 1 || n_edges != h->bins + 1) {
    cli_error("%s: not a density --json result (needs \"edges\" and \"counts\" of one "
              "more and one fewer entries)", args.compare);
    free(h->edges);
    free(h->counts);
    memset(h, 0, sizeof *h);
    return 1;
  }
  return 0;
}

/* One block of "lo hi count" lines (blocks apart by two blank lines). */
static void plot_bins(FILE *f, const double *edges, const double *counts, int64_t bins) {
  for (int64_t i = 0; i < bins; i++) {
    cli_plot_value(f, edges[i]);
    fputc(' ', f);
    cli_plot_value(f, edges[i + 1]);
    fputc(' ', f);
    cli_plot_value(f, counts[i]);
    fputc('\n', f);
  }
  fputs("\n\n", f);
}

/* The histogram (the paper's Figure 5), an earlier run's over it, c(alpha)'s
 * cut-off marked. */
static int plot(cli_plot *p, const js_density_result *res, const histogram *compare) {
  if (!p->image || cli_rank() > 0) /* rank 0 alone draws */
    return 0;
  if (cli_plot_open(p))
    return 1;
  fprintf(p->f, "# lo hi count (index 0: this run; index 1: %s)\n",
          compare->bins ? args.compare : "none");
  plot_bins(p->f, res->edges, res->counts, res->bins);
  if (compare->bins)
    plot_bins(p->f, compare->edges, compare->counts, compare->bins);
  char commands[4096];
  int used = snprintf(commands, sizeof commands,
                      "set style fill transparent solid 0.45 border -1\nset grid ytics\n"
                      "set xlabel 'singular value {/Symbol s}'\n"
                      "set ylabel 'singular values per bin'\n%s"
                      "set title 'density of the %lld singular values (%lld probes x %lld "
                      "steps)'\n",
                      res->log_bins ? "set logscale x\nset format x '10^{%L}'\n" : "",
                      (long long)res->size, (long long)res->probes, (long long)res->steps);
  if (res->cutoff > 0)
    used += snprintf(commands + used, sizeof commands - (size_t)used,
                     "set arrow from first %.10g, graph 0 to first %.10g, graph 1 nohead "
                     "dashtype 2 linecolor rgb 'red'\n"
                     "set label 'c({/Symbol a}) = %.1f' at first %.10g, graph 0.95 left "
                     "offset 0.5,0 textcolor rgb 'red'\n",
                     res->cutoff, res->cutoff, res->count_above, res->cutoff);
  used += snprintf(commands + used, sizeof commands - (size_t)used,
                   "plot data index 0 using (($1+$2)/2):3:($2-$1) with boxes "
                   "linecolor rgb '#1f77b4' title 'this run'");
  if (compare->bins) {
    char name[1024];
    size_t k = 0; /* the file's name as a gnuplot title: quotes doubled, and
                   * noenhanced, so that '_' is not a subscript */
    for (const char *c = args.compare; *c && k + 2 < sizeof name; c++) {
      if (*c == '\'')
        name[k++] = '\'';
      name[k++] = *c;
    }
    name[k] = '\0';
    used += snprintf(commands + used, sizeof commands - (size_t)used,
                     ", data index 1 using (($1+$2)/2):3:($2-$1) with boxes fill empty "
                     "linecolor rgb '#d62728' linewidth 2 title '%s' noenhanced",
                     name);
  }
  snprintf(commands + used, sizeof commands - (size_t)used, "\n");
  return cli_plot_finish(p, commands);
}

static void write_csv(FILE *f, const js_density_result *res) {
  fprintf(f, "bin,lo,hi,count\n");
  for (int64_t i = 0; i < res->bins; i++)
    fprintf(f, "%lld,%.17g,%.17g,%.17g\n", (long long)i + 1, res->edges[i], res->edges[i + 1],
            res->counts[i]);
}

int cli_density(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options, density_options,
                                          cli_gram_options, cli_plot_options, NULL};
  int rc = cli_parse("density",
                     "The density of all min(nK, p) singular values of the Jacobian J by\n"
                     "stochastic Lanczos quadrature (probes x steps products), as a histogram.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb = {0};
  js_linop *op = NULL;
  js_density_result *res = NULL;
  cli_results out = {0};
  js_density_options opt;
  cli_progress progress;
  cli_plot picture;
  histogram compare = {0};
  cli_gram gram = {0};
  int plot_rc = 0;
  if ((rc = cli_plot_parse(&picture)) || (rc = read_compare(&picture, &compare)) ||
      (rc = cli_problem_load(&pb)) || (rc = cli_precision_check(&pb, NULL, "density")) ||
      (rc = parse_options(&opt, pb.seed)))
    goto done;
  int64_t rows = cli_samples(pb.data) * pb.data->n_outputs, p = js_net_n_params(pb.net);
  int64_t size = rows < p ? rows : p, steps = opt.steps < size ? opt.steps : size;
  if ((rc = cli_problem_plan_bytes(&pb, js_density_memory_bytes(&opt, rows, p),
                                   opt.block < opt.probes ? opt.block : opt.probes)) ||
      (rc = cli_gram_decide(&pb, rows > p ? "the density runs on J^T J (nK > p)" : NULL,
                            (double)(opt.probes * steps), &gram)))
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
  if ((rc = cli_gram_form(&gram, op, &opt.gram)))
    goto done;
  int status = js_density(op, &opt, &res);
  cli_progress_done(&progress);
  if (status) {
    rc = cli_library_error();
    goto done;
  }
  gram.products = res->n_gram;
  if ((rc = cli_problem_save_init(&pb)) ||
      (args.save_nodes && (rc = save_nodes(args.save_nodes, res))))
    goto done;
  if (cli_results_table_wanted(&out))
    print_table(stdout, &pb, res, &gram);
  if (out.json.f)
    write_json(out.json.f, &pb, res, &gram);
  if (out.csv.f)
    write_csv(out.csv.f, res);
  plot_rc = plot(&picture, res, &compare); /* a failed drawing keeps the results */
done:
  if (cli_results_close(&out, rc == 0) && rc == 0)
    rc = 1;
  if (rc == 0)
    rc = plot_rc;
  free(compare.edges);
  free(compare.counts);
  js_density_result_free(res);
  cli_gram_free(&gram);
  js_linop_free(op);
  cli_problem_free(&pb);
  return rc;
}

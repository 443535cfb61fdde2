/* jacspec split: the paper's Table 1 row for the Jacobian at the network's
 * weights: how the labels y and the residual r_0 = f(theta_0) - y split
 * between the information space I (top r singular directions of J) and
 * the nuisance space N, and the size of J_I^+ applied to them; with
 * --corrupt the labels of Table 3 and Figure 9, with --compare how far I
 * has turned from the I of other weights (the adaptation of Tables 1-3). */
#include "cli/analysis.h"
#include "cli/corruption.h"
#include "cli/gram.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/plot.h"
#include "cli/problem.h"
#include "cli/solver_args.h"
#include "cli/vectors.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *rank, *cutoff, *json, *csv, *coefficients, *residual_init, *compare;
  int quiet;
} args;

static const cli_opt split_options[] = {
    {"rank", "R", "I = the top R singular directions (default 10)", &args.rank, NULL},
    {"cutoff", "ALPHA", "instead of --rank: the directions with lambda_s > ALPHA",
     &args.cutoff, NULL},
    {"json", "FILE", "write the results as JSON to FILE (- for stdout)", &args.json, NULL},
    {"csv", "FILE", "write the two rows (labels, residual) as CSV to FILE (- for stdout)",
     &args.csv, NULL},
    {"residual-init", "DIR",
     "take r0 = f(theta_0) - y at the weights in DIR (the paper's J_final row: J at the "
     "trained weights, r0 at the initial ones; default: the weights analysed)",
     &args.residual_init, NULL},
    {"compare", "DIR|U.npy", "the principal angles and the overlap ||U_a^T U_b||_F^2 / r "
     "between I of these weights and I (same rank) of the weights in DIR (--save-init, train "
     "--save), or the span of the columns of an nK x r_b U.npy (spectrum --save-vectors on "
     "the same samples)", &args.compare, NULL},
    {"coefficients", "FILE.npy",
     "write u_s^T y (row 0) and u_s^T r0 (row 1) for s <= r (2 x r)", &args.coefficients,
     NULL},
    {"quiet", NULL, "no progress on stderr", NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

/* The two vectors of a Table 1 row, and what --corrupt and --compare add. */
typedef struct split_row {
  js_alignment labels, residual;
  double *coef; /* 2 x r, row-major: u_s^T y, then u_s^T r0 */
  const cli_corruption *corruption;
  js_alignment delta; /* the corruption vector y_corrupted - y_clean, with --corrupt */
  double overlap;     /* with --compare: ||U_a^T U_b||_F^2 / min(r, r_b) */
  double *angles;     /* with --compare: the min(r, r_b) principal angles, ascending */
  int64_t n_angles;   /* min(r, r_b): r_b = r for weights, a U.npy's columns */
  double *basis;      /* --compare U.npy: its r_b columns of length nK */
  int64_t basis_rank; /* r_b */
  cli_gram gram;      /* --gram: the decision, and its products over the solves */
  cli_refinement refinement; /* --precision mixed: what the refinements did */
} split_row;

static void print_table(FILE *f, const cli_problem *pb, const js_space *sp, double cutoff,
                        const split_row *row) {
  const double *sigma = js_space_singular_values(sp);
  int64_t r = js_space_rank(sp);
  cli_problem_data_line(pb, f, js_space_rows(sp), js_space_cols(sp));
  fprintf(f, "# information space I = span(u_1..u_r): r = %lld", (long long)r);
  if (cutoff > 0)
    fprintf(f, " (lambda_s > alpha = %.6g)", cutoff);
  fprintf(f, ", lambda_1 = %.6g, lambda_r = %.6g\n", sigma[0], sigma[r - 1]);
  cli_gram_describe(&row->gram, f);
  cli_refinement_describe(&row->refinement, f);
  if (args.residual_init)
    fprintf(f, "# residual r0 = f(theta_0) - y at the weights in %s\n", args.residual_init);
  fprintf(f, "%-10s  %14s  %14s  %14s\n", "z", "|Pi_I z|/|z|", "|Pi_N z|/|z|",
          "|J_I^+ z|/|z|");
  const struct {
    const char *name;
    const js_alignment *a;
  } lines[] = {{"labels y", &row->labels}, {"residual", &row->residual}};
  for (int i = 0; i < 2; i++)
    fprintf(f, "%-10s  %14.6g  %14.6g  %14.6g\n", lines[i].name, lines[i].a->info,
            lines[i].a->nuisance, lines[i].a->pinv);
  if (!isnan(row->corruption->rho))
    fprintf(f, "%-10s  %14.6g  %14.6g  %14.6g   (y_corrupted - y_clean, %lld labels changed)\n",
            "corruption", row->delta.info, row->delta.nuisance, row->delta.pinv,
            (long long)row->corruption->n_changed);
  if (!args.compare)
    return;
  if (row->basis)
    fprintf(f, "# compared with the span of the %lld columns of %s",
            (long long)row->basis_rank, args.compare);
  else
    fprintf(f, "# compared with I of the weights in %s (r = %lld)", args.compare, (long long)r);
  fprintf(f, ": overlap |U_a^T U_b|_F^2/%lld = %.6g\n# principal angles (radians):",
          (long long)row->n_angles, row->overlap);
  for (int64_t s = 0; s < row->n_angles; s++)
    fprintf(f, " %.6g", row->angles[s]);
  fputc('\n', f);
}

static void write_json(FILE *f, const cli_problem *pb, const js_space *sp, double cutoff,
                       const split_row *row) {
  json_writer j;
  int64_t r = js_space_rank(sp);
  const double *sigma = js_space_singular_values(sp);
  json_begin(&j, f);
  cli_problem_data_json(pb, &j);
  json_int(&j, "n_samples", cli_samples(pb->data));
  json_int(&j, "n_outputs", pb->data->n_outputs);
  json_int(&j, "n_params", js_space_cols(sp));
  json_int(&j, "rank", r);
  json_number(&j, "cutoff", cutoff > 0 ? cutoff : NAN); /* null in rank mode */
  json_number(&j, "lambda_1", sigma[0]);
  json_number(&j, "lambda_r", sigma[r - 1]);
  json_numbers(&j, "singular_values", r, sigma);
  cli_gram_json(&row->gram, &j);
  cli_refinement_json(&row->refinement, 0, NULL, &j);
  cli_json_alignment(&j, "labels", &row->labels);
  cli_json_alignment(&j, "residual", &row->residual);
  if (args.residual_init)
    json_string(&j, "residual_weights", args.residual_init);
  cli_corruption_json(row->corruption, &j);
  if (!isnan(row->corruption->rho))
    cli_json_alignment(&j, "corruption", &row->delta);
  if (args.compare) {
    json_object(&j, "compare");
    json_string(&j, row->basis ? "basis" : "weights", args.compare);
    json_int(&j, "rank", row->basis ? row->basis_rank : r);
    json_number(&j, "overlap", row->overlap);
    json_numbers(&j, "angles", row->n_angles, row->angles);
    json_close_object(&j);
  }
  json_end(&j);
}

static void write_csv(FILE *f, const js_space *sp, double cutoff, const split_row *row) {
  const double *sigma = js_space_singular_values(sp);
  int64_t r = js_space_rank(sp);
  fprintf(f, "vector,rank,cutoff,lambda_1,lambda_r,norm,info,nuisance,pinv\n");
  const struct {
    const char *name;
    const js_alignment *a;
  } lines[] = {{"labels", &row->labels}, {"residual", &row->residual}};
  for (int i = 0; i < 2; i++) {
    const js_alignment *a = lines[i].a;
    fprintf(f, "%s,%lld,", lines[i].name, (long long)r);
    if (cutoff > 0) /* empty in rank mode */
      fprintf(f, "%.17g", cutoff);
    fprintf(f, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", sigma[0], sigma[r - 1], a->norm,
            a->info, a->nuisance, a->pinv);
  }
}

/* The Table 1 row as bars: the fractions of the labels and of the residual
 * on I and on N. */
static int plot(cli_plot *p, const js_space *sp, const split_row *row) {
  if (!p->image || cli_rank() > 0) /* rank 0 alone draws */
    return 0;
  if (cli_plot_open(p))
    return 1;
  fprintf(p->f, "# z info nuisance pinv\n");
  fprintf(p->f, "\"labels y\" %.10g %.10g %.10g\n", row->labels.info, row->labels.nuisance,
          row->labels.pinv);
  fprintf(p->f, "\"residual r_0\" %.10g %.10g %.10g\n", row->residual.info,
          row->residual.nuisance, row->residual.pinv);
  const double *sigma = js_space_singular_values(sp);
  int64_t r = js_space_rank(sp);
  char commands[2048];
  snprintf(commands, sizeof commands,
           "set style data histograms\nset style histogram clustered gap 1\n"
           "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset yrange [0:1.1]\n"
           "set grid ytics\nset key top center horizontal\n"
           "set ylabel '||{/Symbol P} z|| / ||z||'\n"
           "set title 'I = top %lld directions ({/Symbol l}_1 = %.4g, {/Symbol l}_r = %.4g)'\n"
           "plot data using 2:xtic(1) linecolor rgb '#1f77b4' title 'information space I', "
           "'' using 3 linecolor rgb '#d62728' title 'nuisance space N'\n",
           (long long)r, sigma[0], sigma[r - 1]);
  return cli_plot_finish(p, commands);
}

/* *out = a copy of the network with the weights in dir (read up front, so
 * a bad directory fails before any solve). Returns 0, or prints, 1. */
static int weights_in(const cli_problem *pb, const char *dir, js_net **out) {
  *out = NULL;
  if (js_net_clone(pb->net, out) || js_net_load_tensors(*out, dir))
    return cli_library_error();
  return 0;
}

/* r0 = f(theta) - y at the network's weights, or at those in dir. Returns
 * NULL after printing one line. */
static double *residual_at(const cli_problem *pb, const char *dir) {
  if (!dir)
    return cli_residual(pb->net, pb->data);
  js_net *initial = NULL;
  double *residual = weights_in(pb, dir, &initial) ? NULL : cli_residual(initial, pb->data);
  js_net_free(initial);
  return residual;
}

/* The overlap and principal angles of sp with the span of the --compare
 * file's columns. */
static int compare_with_basis(const js_space *sp, split_row *row) {
  int64_t rows = js_space_rows(sp), r = js_space_rank(sp);
  row->n_angles = row->basis_rank < r ? row->basis_rank : r;
  if (!(row->angles = malloc(sizeof(double) * (size_t)row->n_angles))) {
    cli_error("split: out of memory");
    return 1;
  }
  return js_space_overlap_basis(sp, rows, row->basis_rank, row->basis, row->angles,
                                &row->overlap)
             ? cli_library_error()
             : 0;
}

/* The overlap and principal angles of sp with I of the same rank of the
 * network `other` (the --compare weights). */
static int compare_with(const cli_problem *pb, const js_net *other, const js_svds_options *opt,
                        const js_space *sp, split_row *row) {
  js_svds_options same_rank = *opt;
  same_rank.top = js_space_rank(sp);
  same_rank.cutoff = 0;
  row->n_angles = same_rank.top;
  js_space *theirs = NULL;
  int rc = cli_space_compute(other, NULL, pb->data, &pb->jac, &same_rank, &row->gram,
                             &row->refinement, args.quiet,
                             &theirs);
  if (!rc && !(row->angles = malloc(sizeof(double) * (size_t)same_rank.top))) {
    cli_error("split: out of memory");
    rc = 1;
  }
  if (!rc && js_space_overlap(sp, theirs, row->angles, &row->overlap))
    rc = cli_library_error();
  js_space_free(theirs);
  return rc;
}

/* --compare names a basis file when it ends in .npy, weights otherwise. */
static int compare_is_basis(void) {
  size_t n = args.compare ? strlen(args.compare) : 0;
  return n >= 4 && strcmp(args.compare + n - 4, ".npy") == 0;
}

int cli_split(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_solver_options, cli_gram_options, split_options,
                                          cli_plot_options, cli_corrupt_options, NULL};
  int rc = cli_parse("split",
                     "The paper's Table 1 for the Jacobian at the network's weights (--init\n"
                     "DIR for trained ones): the fractions of the labels y and of the residual\n"
                     "r0 = f(theta) - y on the information space I (top r singular directions)\n"
                     "and on the nuisance space N, and ||J_I^+ z|| / ||z||.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb = {0};
  js_svds_options opt;
  js_space *sp = NULL;
  double *residual = NULL;
  cli_corruption corruption = {.rho = NAN};
  split_row row = {.corruption = &corruption};
  js_net *other = NULL;
  cli_results out = {0};
  cli_plot picture;
  int plot_rc = 0;
  if ((rc = cli_plot_parse(&picture)) || (rc = cli_problem_load(&pb)) ||
      (rc = cli_solver_parse(&opt, pb.seed)) ||
      (rc = cli_rank_parse("rank", args.rank, args.cutoff, 10, &opt)) ||
      (rc = cli_precision_check(&pb, &opt, "split")) ||
      (rc = cli_corruption_parse(&corruption)) || (rc = cli_problem_plan(&pb, &opt)) ||
      (rc = cli_gram_decide(&pb, cli_gram_svds_obstacle(&pb, &opt), cli_gram_svds_steps(&opt),
                            &row.gram)) ||
      (args.compare && !compare_is_basis() && (rc = weights_in(&pb, args.compare, &other))) ||
      (compare_is_basis() &&
       (rc = cli_columns_read(args.compare, cli_samples(pb.data) * pb.data->n_outputs, "nK",
                              &row.basis, &row.basis_rank))) ||
      (rc = cli_corruption_apply(&pb, &corruption)))
    goto done;
  if (args.compare && cli_ranks() > 1) { /* U_a^T U_b would need the ranks' sum */
    cli_error("--compare runs on one process (not under mpirun)");
    rc = 2;
    goto done;
  }
  if (!(residual = residual_at(&pb, args.residual_init))) {
    rc = 1;
    goto done;
  }
  if ((rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  if ((rc = cli_space_compute(pb.net, NULL, pb.data, &pb.jac, &opt, &row.gram, &row.refinement,
                              args.quiet,
                              &sp)))
    goto done;
  int64_t r = js_space_rank(sp);
  row.coef = malloc(sizeof(double) * (size_t)(2 * r));
  if (!row.coef) {
    cli_error("split: out of memory");
    rc = 1;
    goto done;
  }
  if ((other && (rc = compare_with(&pb, other, &opt, sp, &row))) ||
      (row.basis && (rc = compare_with_basis(sp, &row))))
    goto done;
  if ((rc = cli_problem_save_init(&pb)) || (rc = cli_problem_save_model(pb.net)) ||
      (rc = cli_corruption_save_labels(&pb)))
    goto done;
  if (js_space_align(sp, pb.data->y, row.coef, &row.labels) ||
      js_space_align(sp, residual, row.coef + r, &row.residual) ||
      (corruption.delta && js_space_align(sp, corruption.delta, NULL, &row.delta))) {
    rc = cli_library_error();
    goto done;
  }
  int64_t shape[2] = {2, r};
  if (args.coefficients && cli_rank() == 0 &&
      js_npy_write(args.coefficients, row.coef, 2, shape)) {
    rc = cli_library_error();
    goto done;
  }
  if (cli_results_table_wanted(&out))
    print_table(stdout, &pb, sp, opt.cutoff, &row);
  if (out.json.f)
    write_json(out.json.f, &pb, sp, opt.cutoff, &row);
  if (out.csv.f)
    write_csv(out.csv.f, sp, opt.cutoff, &row);
  plot_rc = plot(&picture, sp, &row); /* a failed drawing keeps the results */
done:
  if (cli_results_close(&out, rc == 0) && rc == 0)
    rc = 1;
  if (rc == 0)
    rc = plot_rc;
  free(row.coef);
  free(row.angles);
  free(row.basis);
  free(residual);
  js_net_free(other);
  cli_corruption_free(&corruption);
  js_space_free(sp);
  cli_problem_free(&pb);
  return rc;
}

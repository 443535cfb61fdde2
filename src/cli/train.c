/* jacspec train: gradient descent (or SGD, Adam) on 0.5 ||f(theta) - y||^2
 * through the VJP operator, with the residual tracked on the information
 * and nuisance spaces of a chosen Jacobian (the paper's Figures 6-9), the
 * linearised model side by side (Theorem 1 of the lecture notes), label
 * corruption (section 4) and test data. */
#include "cli/analysis.h"
#include "cli/corruption.h"
#include "cli/output.h"
#include "cli/parallel.h"
#include "cli/plot.h"
#include "cli/problem.h"
#include "cli/signals.h"
#include "cli/solver_args.h"
#include "cli/train_checkpoint.h"
#include "cli/train_track.h"
#include "cli/verbs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *steps, *lr, *optimizer, *batch, *every, *space, *rank, *cutoff, *save, *csv,
      *json, *checkpoint, *checkpoint_every, *resume, *lr_decay, *epochs;
  int linearized, overlap, jacobian_change, quiet;
} args;

static const cli_opt train_options[] = {
    {"steps", "T", "number of updates (default 100)", &args.steps, NULL},
    {"lr", "auto|theory|ETA", "learning rate; auto: 1 / lambda_1^2 of J(theta_0); theory: "
     "the eta_max = 1 / (nu^2 B^2 ||X||^2) Theorems 3.2 and 3.3 assume (default auto)",
     &args.lr, NULL},
    {"lr-decay", "STEP:F,...", "multiply eta by F from update STEP on, e.g. 260:0.1,360:0.1 "
     "(in epochs with --epochs)", &args.lr_decay, NULL},
    {"epochs", "E", "sgd: train E epochs of n/B steps (instead of --steps); --lr-decay then "
     "counts epochs", &args.epochs, NULL},
    {"optimizer", "NAME", "gd, sgd or adam (default gd)", &args.optimizer, NULL},
    {"batch", "B", "sgd: samples per step (default 32, at most n)", &args.batch, NULL},
    {"every", "E", "a row every E steps (default T/100, at least 1)", &args.every, NULL},
    {"space", "WHICH", "Jacobian defining I and N for res_*: init, final, a step, or none "
     "(default final)", &args.space, NULL},
    {"rank", "R", "I = the top R singular directions (default 10)", &args.rank, NULL},
    {"cutoff", "ALPHA", "instead of --rank: the directions with lambda_s > ALPHA",
     &args.cutoff, NULL},
    {"linearized", NULL, "also train f(theta_0) + J_0 (theta - theta_0); report lin_gap "
     "and lin_dist", NULL, &args.linearized},
    {"overlap", NULL, "a space_overlap column: ||U_0^T U_t||_F^2 / R of I(theta_0) and "
     "I(theta_t) (a top-R solve at every row)", NULL, &args.overlap},
    {"jacobian-change", NULL, "a jacobian_change column: ||J(theta_t) - J_0||_2 / ||J_0||_2 "
     "(a top-1 solve at every row)", NULL, &args.jacobian_change},
    {"save", "DIR", "write the final weights to DIR/W1.npy ... WL.npy", &args.save, NULL},
    {"checkpoint", "DIR", "keep the run's state in DIR/checkpoint (written atomically)",
     &args.checkpoint, NULL},
    {"checkpoint-every", "N", "a checkpoint every N steps (default T/10, at least 1)",
     &args.checkpoint_every, NULL},
    {"resume", "DIR", "continue the run whose checkpoint is in DIR (same options)",
     &args.resume, NULL},
    {"csv", "FILE", "write the rows as CSV to FILE (- for stdout)", &args.csv, NULL},
    {"json", "FILE", "write the settings and rows as JSON to FILE (- for stdout)", &args.json,
     NULL},
    {"quiet", NULL, "no progress on stderr", NULL, &args.quiet},
    {NULL, NULL, NULL, NULL, NULL}};

/* --space: which parameters define the Jacobian of I and N. */
enum { SPACE_NONE = -1, SPACE_FINAL = -2 };

typedef struct settings {
  js_train_options train;
  js_svds_options solver;
  int64_t space;   /* a step, SPACE_NONE or SPACE_FINAL */
  cli_corruption corruption;
  int64_t epoch;   /* steps per epoch with --epochs, else 0 */
} settings;

static const char *const optimizer_names[] = {"gd", "sgd", "adam"};

static int parse_optimizer(js_train_options *opt) {
  for (int k = 0; k < 3; k++)
    if (strcmp(args.optimizer, optimizer_names[k]) == 0) {
      opt->optimizer = (js_optimizer)k;
      return 0;
    }
  cli_error("--optimizer: expected gd, sgd or adam, got '%s'", args.optimizer);
  return 2;
}

static int parse_space(int64_t steps, int64_t *space) {
  const char *s = args.space ? args.space : "final";
  char *end;
  if (strcmp(s, "init") == 0 || strcmp(s, "final") == 0 || strcmp(s, "none") == 0) {
    *space = s[0] == 'i' ? 0 : s[0] == 'f' ? SPACE_FINAL : SPACE_NONE;
    return 0;
  }
  *space = strtoll(s, &end, 10);
  if (end == s || *end || *space < 0 || *space > steps) {
    cli_error("--space: expected init, final, none or a step in 0..%lld, got '%s'",
              (long long)steps, s);
    return 2;
  }
  return 0;
}

/* --lr-decay STEP:F,...: at most JS_MAX_LR_DECAYS pairs, each STEP times
 * `unit` steps (an epoch's n/B with --epochs, else 1). */
static int parse_decay(int64_t unit, js_train_options *opt) {
  const char *p = args.lr_decay;
  while (*p) {
    char *end;
    if (opt->n_decays == JS_MAX_LR_DECAYS) {
      cli_error("--lr-decay: at most %d decays", JS_MAX_LR_DECAYS);
      return 2;
    }
    long long at = strtoll(p, &end, 10);
    double factor = end[0] == ':' ? strtod(end + 1, &end) : NAN;
    if (at < 1 || !(factor > 0 && isfinite(factor)) || (*end && *end != ',') ||
        (opt->n_decays > 0 && at * unit <= opt->decay_steps[opt->n_decays - 1])) {
      cli_error("--lr-decay: expected ascending STEP:FACTOR pairs (STEP >= 1, FACTOR > 0) "
                "separated by commas, e.g. 260:0.1,360:0.1; got '%s'", args.lr_decay);
      return 2;
    }
    opt->decay_steps[opt->n_decays] = at * unit;
    opt->decay_factors[opt->n_decays++] = factor;
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* The options of training; the data are loaded (for n and min(nK, p)). */
static int parse_settings(const cli_problem *pb, const js_dataset *test, settings *st) {
  js_train_options *opt = &st->train;
  js_train_options_init_defaults(opt);
  opt->seed = pb->seed;
  opt->linearized = args.linearized;
  opt->taylor = 1;
  if ((args.steps && cli_int("steps", args.steps, 1, INT64_MAX / 2, &opt->steps)) ||
      cli_lr_parse(args.lr, &opt->lr) || (args.optimizer && parse_optimizer(opt)) ||
      cli_solver_parse(&st->solver, pb->seed) ||
      cli_rank_parse("rank", args.rank, args.cutoff, 10, &st->solver) ||
      cli_corruption_parse(&st->corruption))
    return 2;
  if (args.overlap && st->solver.cutoff > 0) {
    cli_error("--overlap compares spaces of one rank: give --rank R, not --cutoff");
    return 2;
  }
  opt->overlap_rank = args.overlap ? st->solver.top : 0;
  opt->jacobian_change = args.jacobian_change;
  if ((args.checkpoint || args.resume || args.overlap) && cli_ranks() > 1) {
    cli_error("--checkpoint, --resume and --overlap run on one process (not under mpirun)");
    return 2;
  }
  if (args.checkpoint_every && !args.checkpoint) {
    cli_error("--checkpoint-every applies with --checkpoint DIR");
    return 2;
  }
  opt->checkpoint_every = opt->steps / 10 > 0 ? opt->steps / 10 : 1;
  if (args.checkpoint_every &&
      cli_int("checkpoint-every", args.checkpoint_every, 1, INT64_MAX, &opt->checkpoint_every))
    return 2;
  if (!args.checkpoint)
    opt->checkpoint_every = 0;
  if (opt->lr == CLI_LR_THEORY && cli_theory_lr(pb, "train", &opt->lr))
    return 2;
  if (args.batch && opt->optimizer != JS_OPTIM_SGD) {
    cli_error("--batch applies to --optimizer sgd");
    return 2;
  }
  if (args.batch && cli_int("batch", args.batch, 1, pb->data->n_samples, &opt->batch))
    return 2;
  if (opt->optimizer == JS_OPTIM_SGD && opt->batch > pb->data->n_samples)
    opt->batch = pb->data->n_samples;
  /* An epoch is n / B steps (at least one), as the paper's section 4 counts. */
  int64_t epoch = opt->optimizer == JS_OPTIM_SGD ? pb->data->n_samples / opt->batch : 1;
  epoch = epoch < 1 ? 1 : epoch;
  if (args.epochs) {
    int64_t epochs;
    if (opt->optimizer != JS_OPTIM_SGD || args.steps) {
      cli_error("--epochs applies to --optimizer sgd, instead of --steps");
      return 2;
    }
    if (cli_int("epochs", args.epochs, 1, INT64_MAX / 2 / epoch, &epochs))
      return 2;
    opt->steps = epochs * epoch;
    st->epoch = epoch;
  }
  if ((args.lr_decay && parse_decay(args.epochs ? epoch : 1, opt)) ||
      parse_space(opt->steps, &st->space))
    return 2;
  /* Refuse a rank the space cannot have before training, not after. */
  const js_dataset *sets[2] = {pb->data, test};
  for (int k = 0; k < 2 && (st->space != SPACE_NONE || args.overlap) && st->solver.cutoff <= 0;
       k++) {
    int64_t m = sets[k] ? cli_samples(sets[k]) * sets[k]->n_outputs : INT64_MAX;
    int64_t p = js_net_n_params(pb->net), min_dim = m < p ? m : p;
    if (sets[k] && st->solver.top >= min_dim) {
      cli_error("--rank %lld must be below min(nK, p) = %lld of the %s Jacobian",
                (long long)st->solver.top, (long long)min_dim, k ? "test" : "training");
      return 2;
    }
  }
  return 0;
}

/* I and N at the chosen parameters (training and test inputs), the kept
 * residuals split on them. */
static int project_rows(train_track *tr, const cli_problem *pb, const settings *st,
                        const double *final_theta, int quiet) {
  js_space *space = NULL, *test_space = NULL;
  const double *theta = st->space != SPACE_FINAL ? tr->theta_space : final_theta;
  int rc = cli_space_compute(pb->net, theta, tr->train, &pb->jac, &st->solver, NULL, NULL, quiet,
                             &space);
  if (!rc && tr->test)
    rc = cli_space_compute(pb->net, theta, tr->test, &pb->jac, &st->solver, NULL, NULL, quiet,
                           &test_space);
  if (!rc)
    rc = train_track_project(tr, space, test_space);
  js_space_free(space);
  js_space_free(test_space);
  return rc;
}

static void write_json(FILE *f, const cli_problem *pb, const settings *st,
                       const train_track *tr, const char *error) {
  json_writer j;
  json_begin(&j, f);
  cli_problem_data_json(pb, &j);
  json_int(&j, "n_samples", cli_samples(pb->data));
  json_int(&j, "n_outputs", pb->data->n_outputs);
  json_int(&j, "n_params", js_net_n_params(pb->net));
  if (tr->test)
    json_int(&j, "test_samples", cli_samples(tr->test));
  json_int(&j, "steps", st->train.steps);
  if (st->epoch)
    json_int(&j, "steps_per_epoch", st->epoch);
  if (st->train.n_decays) {
    json_array(&j, "lr_decay");
    for (int i = 0; i < st->train.n_decays; i++) {
      json_object(&j, NULL);
      json_int(&j, "step", st->train.decay_steps[i]);
      json_number(&j, "factor", st->train.decay_factors[i]);
      json_close_object(&j);
    }
    json_close_array(&j);
  }
  json_number(&j, "lr", tr->lr);
  json_bool(&j, "lr_auto", st->train.lr <= 0);
  json_string(&j, "lr_rule", st->train.lr <= 0 ? "auto" : args.lr && strcmp(args.lr, "theory")
                                                              == 0 ? "theory" : "given");
  json_string(&j, "optimizer", optimizer_names[st->train.optimizer]);
  if (st->train.optimizer == JS_OPTIM_SGD)
    json_int(&j, "batch", st->train.batch);
  json_int(&j, "seed", (int64_t)st->train.seed);
  json_string(&j, "error_kind", tr->train_kind);
  json_int(&j, "every", tr->every);
  if (st->space == SPACE_NONE || st->space == SPACE_FINAL)
    json_string(&j, "space", st->space == SPACE_NONE ? "none" : "final");
  else
    json_int(&j, "space", st->space);
  if (st->solver.cutoff > 0)
    json_number(&j, "cutoff", st->solver.cutoff);
  else
    json_int(&j, "rank", st->solver.top);
  json_bool(&j, "linearized", st->train.linearized);
  cli_corruption_json(&st->corruption, &j);
  if (error)
    json_string(&j, "error", error);
  train_track_json(tr, &j);
  json_end(&j);
}

/* curve `name` of the rows, if present, as a gnuplot plot item. */
static int curve(char *buf, size_t size, const train_track *tr, const char *name,
                 const char *title, int *items) {
  if (!train_track_has(tr, name))
    return 0;
  return snprintf(buf, size, "%s data using 'step':'%s' with lines linewidth 2 title '%s'",
                  (*items)++ ? "," : "plot", name, title);
}

/* The paper's Figures 6-8: the residual on I and N (or the loss, without
 * spaces) and the train and test errors over the steps, side by side. The
 * data is the table itself, its header naming the columns. */
static int plot(cli_plot *p, const train_track *tr) {
  if (!p->image || cli_rank() > 0) /* rank 0 alone draws */
    return 0;
  if (cli_plot_open(p))
    return 1;
  train_track_print(tr, p->f);
  char commands[4096];
  size_t size = sizeof commands;
  int items = 0, used = snprintf(commands, size,
                                 "set multiplot layout 1,2\nset grid\nset xlabel 'step'\n"
                                 "set key top right\n");
  if (train_track_has(tr, "res_info")) {
    used += snprintf(commands + used, size - (size_t)used,
                     "set title 'residual on the information and nuisance spaces'\n"
                     "set ylabel 'norm'\n");
    used += curve(commands + used, size - (size_t)used, tr, "res_info",
                  "||{/Symbol P}_I r_t|| train", &items);
    used += curve(commands + used, size - (size_t)used, tr, "res_nuisance",
                  "||{/Symbol P}_N r_t|| train", &items);
    used += curve(commands + used, size - (size_t)used, tr, "test_res_info",
                  "||{/Symbol P}_I r_t|| test", &items);
    used += curve(commands + used, size - (size_t)used, tr, "test_res_nuisance",
                  "||{/Symbol P}_N r_t|| test", &items);
  } else {
    used += snprintf(commands + used, size - (size_t)used,
                     "set title 'loss (no spaces: --space none)'\nset ylabel '0.5 ||r_t||^2'\n");
    used += curve(commands + used, size - (size_t)used, tr, "loss", "loss", &items);
  }
  items = 0;
  used += snprintf(commands + used, size - (size_t)used,
                   "\nset title 'error'\nset ylabel 'error'\n");
  used += curve(commands + used, size - (size_t)used, tr, "train_error", "train", &items);
  used += curve(commands + used, size - (size_t)used, tr, "test_error", "test", &items);
  snprintf(commands + used, size - (size_t)used, "\nunset multiplot\n");
  return cli_plot_finish(p, commands);
}

int cli_train(int argc, char **argv) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_test_data_options, cli_solver_options,
                                          train_options, cli_plot_options,
                                          cli_corrupt_options, NULL};
  int rc = cli_parse("train",
                     "Gradient descent on 0.5 ||f(theta) - y||^2 through the VJP operator,\n"
                     "with the residual tracked on the information and nuisance spaces.\n"
                     "Rows: step, loss, train_error, test_error (the fraction misclassified;\n"
                     "for +-1 targets the fraction of wrong signs; 0.5 ||r||^2 for other real\n"
                     "targets), res_info = ||Pi_I r_t||, res_nuisance =\n"
                     "||Pi_N r_t|| (test_res_*: on the test data, with the Jacobian on the test\n"
                     "inputs), dist_from_init = ||theta_t - theta_0||, taylor_rem = ||f(theta_t)\n"
                     "- f(theta_0) - J_0 (theta_t - theta_0)|| (one J_0 product a row),\n"
                     "space_overlap (--overlap), jacobian_change = ||J(theta_t) - J_0||_2 /\n"
                     "||J_0||_2 (--jacobian-change), lin_gap = ||r_t - r~_t||, lin_dist =\n"
                     "||theta_t - theta~_t||; with --corrupt, true_error against the clean labels.",
                     argc, argv, groups);
  if (rc)
    return rc == 1 ? 0 : rc;
  cli_problem pb = {0};
  js_dataset *test = NULL;
  js_model model = {0}, test_model = {0};
  settings st = {.corruption = {.rho = NAN}};
  train_track tr = {0};
  cli_results out = {0};
  double *theta = NULL;
  train_checkpoint cp = {.dir = args.checkpoint, .track = &tr};
  ckpt_file resume_file = {0};
  js_train_snapshot resume_from;
  char error[1024] = "";
  int wrote = 0; /* the rows are in the output files */
  cli_plot picture;
  int plot_rc = 0;
  if ((rc = cli_plot_parse(&picture)) || (rc = cli_problem_load(&pb)) ||
      (rc = cli_precision_check(&pb, NULL, "train")) || (rc = cli_problem_load_test(&pb, &test)) ||
      (rc = parse_settings(&pb, test, &st)))
    goto done;
  pb.one_batch = 1; /* J(theta_0) for the linearised run next to J(theta_t) */
  if ((rc = cli_problem_plan(&pb, &st.solver)))
    goto done;
  if ((rc = cli_corruption_apply(&pb, &st.corruption)))
    goto done;
  int corrupted = !isnan(st.corruption.rho);
  tr = (train_track){.n_params = js_net_n_params(pb.net), .train = pb.data, .test = test,
                     .test_model = &test_model,
                     .steps = st.train.steps, .every = st.train.steps / 100,
                     .keep_residuals = st.space != SPACE_NONE,
                     .space_step = st.space >= 0 ? st.space : -1,
                     .linearized = st.train.linearized, .last_step = -1,
                     .scheduled = st.train.n_decays > 0, .overlap = args.overlap,
                     .jacobian_change = args.jacobian_change,
                     .clean = corrupted ? &st.corruption.clean : NULL,
                     .corruption = corrupted ? st.corruption.delta : NULL};
  if (args.every && cli_int("every", args.every, 1, INT64_MAX, &tr.every)) {
    rc = 2;
    goto done;
  }
  tr.every = tr.every < 1 ? 1 : tr.every;
  st.train.measure_every = tr.every; /* taylor_rem (space_overlap, jacobian_change) a row */
  st.train.report_every = tr.every;  /* SGD: the full residual on the rows only */
  cli_progress_init(&tr.progress, args.quiet);
  if ((rc = train_track_init(&tr)) || (rc = cli_results_open(&out, args.json, args.csv)))
    goto done;
  if (!(theta = malloc(sizeof(double) * (size_t)js_net_n_params(pb.net)))) {
    cli_error("train: out of memory");
    rc = 1;
    goto done;
  }
  if (js_net_model_init(&model, pb.net, pb.data, &pb.jac) ||
      (test && js_net_model_init(&test_model, pb.net, test, &pb.jac))) {
    rc = cli_library_error();
    goto done;
  }
  js_net_get_params(pb.net, theta);
  train_checkpoint_identify(&cp, &st.train, st.space, st.corruption.rho, theta);
  if (args.resume &&
      (rc = train_checkpoint_resume(&cp, args.resume, &resume_file, &resume_from)))
    goto done;
  if (args.resume)
    st.train.resume = &resume_from;
  st.train.checkpoint = train_checkpoint_write;
  st.train.checkpoint_ctx = &cp;
  if ((rc = cli_problem_save_init(&pb)) || (rc = cli_corruption_save_labels(&pb)))
    goto done;
  int status = js_train(&model, pb.data->y, &st.train, train_track_step, &tr, theta);
  cli_progress_done(&tr.progress);
  if (cp.failed) { /* a checkpoint could not be written; its message is out */
    rc = 1;
    goto done;
  }
  if (status == JS_ECANCELED) { /* no rows: an interrupted run leaves no output */
    if (cp.written >= 0)
      cli_error("%s; --resume %s continues from step %lld", js_last_error(), cp.dir,
                (long long)cp.written);
    rc = cp.written >= 0 ? 128 + cli_signal_caught() : cli_library_error();
    goto done;
  }
  if (tr.failed) { /* the test forward pass failed; its message is out */
    rc = 1;
    goto done;
  }
  if (status) {
    /* Keep what was computed: the rows so far are written, the exit fails. */
    snprintf(error, sizeof error, "%s", js_last_error());
    rc = 1;
  }
  /* The space needs its parameters: theta_final only after a run without
   * error, theta_STEP once STEP was reached. */
  int space_known = st.space == SPACE_FINAL ? status == JS_OK
                                            : st.space >= 0 && st.space <= tr.last_step;
  if (space_known && project_rows(&tr, &pb, &st, theta, args.quiet)) {
    rc = 1;
    goto done;
  }
  if (cli_results_table_wanted(&out))
    train_track_print(&tr, stdout);
  if (out.csv.f)
    train_track_csv(&tr, out.csv.f);
  if (out.json.f)
    write_json(out.json.f, &pb, &st, &tr, error[0] ? error : NULL);
  wrote = 1;
  plot_rc = plot(&picture, &tr); /* a failed drawing keeps the results */
  js_net_set_params(pb.net, theta); /* the network now holds the trained weights */
  int saved = status != JS_OK ? 0
              : args.save && cli_rank() == 0 && js_net_save_tensors(pb.net, args.save)
                  ? cli_library_error()
                  : cli_problem_save_model(pb.net);
  if (saved) {
    rc = saved;
    wrote = 0; /* the run failed: its CSV and JSON are not left behind */
    goto done;
  }
  if (error[0])
    cli_error("%s", error);
done:
  if (cli_results_close(&out, wrote) && rc == 0)
    rc = 1;
  if (rc == 0)
    rc = plot_rc;
  free(theta);
  cli_checkpoint_free(&resume_file);
  js_model_release(&model);
  js_model_release(&test_model);
  train_track_free(&tr);
  cli_corruption_free(&st.corruption);
  js_dataset_free(test);
  cli_problem_free(&pb);
  return rc;
}

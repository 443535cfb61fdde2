#include "cli/train_track.h"

#include "cli/analysis.h"
#include "cli/args.h"
#include "cli/parallel.h"
#include "cli/problem.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The columns after `step`, and which runs have them. */
enum { ALWAYS, WITH_TEST, WITH_SPACE, WITH_TEST_SPACE, WITH_LIN, WITH_SCHEDULE,
       WITH_CORRUPT, WITH_OVERLAP, WITH_JACOBIAN_CHANGE };
static const struct {
  const char *name;
  size_t offset;
  int when;
} columns[] = {
    {"loss", offsetof(train_row, loss), ALWAYS},
    {"train_error", offsetof(train_row, train_error), ALWAYS},
    {"true_error", offsetof(train_row, true_error), WITH_CORRUPT},
    {"test_error", offsetof(train_row, test_error), WITH_TEST},
    {"res_info", offsetof(train_row, res_info), WITH_SPACE},
    {"res_nuisance", offsetof(train_row, res_nuisance), WITH_SPACE},
    {"test_res_info", offsetof(train_row, test_res_info), WITH_TEST_SPACE},
    {"test_res_nuisance", offsetof(train_row, test_res_nuisance), WITH_TEST_SPACE},
    {"dist_from_init", offsetof(train_row, dist_from_init), ALWAYS},
    {"taylor_rem", offsetof(train_row, taylor_rem), ALWAYS},
    {"space_overlap", offsetof(train_row, space_overlap), WITH_OVERLAP},
    {"jacobian_change", offsetof(train_row, jacobian_change), WITH_JACOBIAN_CHANGE},
    {"lin_gap", offsetof(train_row, lin_gap), WITH_LIN},
    {"lin_dist", offsetof(train_row, lin_dist), WITH_LIN},
    {"lr", offsetof(train_row, lr), WITH_SCHEDULE},
};
enum { N_COLUMNS = sizeof columns / sizeof columns[0] };

static int has_column(const train_track *tr, int c) {
  switch (columns[c].when) {
  case WITH_TEST: return tr->test != NULL;
  case WITH_SPACE: return tr->has_space;
  case WITH_TEST_SPACE: return tr->test && tr->has_space;
  case WITH_LIN: return tr->linearized;
  case WITH_SCHEDULE: return tr->scheduled;
  case WITH_CORRUPT: return tr->corruption != NULL;
  case WITH_OVERLAP: return tr->overlap;
  case WITH_JACOBIAN_CHANGE: return tr->jacobian_change;
  default: return 1;
  }
}

static double column(const train_row *row, int c) {
  return *(const double *)((const char *)row + columns[c].offset);
}

static int64_t n_outputs(const js_dataset *data) {
  return data ? data->n_samples * data->n_outputs : 0;
}

int train_track_init(train_track *tr) {
  tr->train_kind = train_track_error_kind_all(tr->train);
  tr->test_kind = tr->test ? train_track_error_kind_all(tr->test) : NULL;
  int64_t capacity = tr->steps / tr->every + 2; /* steps 0, E, 2E, ... and T */
  int64_t m = n_outputs(tr->train), m_test = n_outputs(tr->test);
  int64_t kept = tr->keep_residuals ? capacity : 0;
  tr->rows = calloc((size_t)capacity, sizeof *tr->rows);
  tr->kept = malloc(sizeof(double) * (size_t)(kept * m + 1));
  tr->kept_test = malloc(sizeof(double) * (size_t)(kept * m_test + 1));
  tr->test_residual = malloc(sizeof(double) * (size_t)(m_test + 1));
  tr->theta_space = malloc(sizeof(double) * (size_t)tr->n_params);
  tr->true_residual = malloc(sizeof(double) * (size_t)(tr->corruption ? m : 1));
  if (!tr->rows || !tr->kept || !tr->kept_test || !tr->test_residual || !tr->theta_space ||
      !tr->true_residual) {
    cli_error("train: out of memory for %lld rows of residuals", (long long)capacity);
    return 1;
  }
  return 0;
}

void train_track_free(train_track *tr) {
  free(tr->rows);
  free(tr->kept);
  free(tr->kept_test);
  free(tr->test_residual);
  free(tr->theta_space);
  free(tr->true_residual);
}

const char *train_track_error_kind(const js_dataset *data) {
  if (data->labels)
    return "class";
  for (int64_t i = 0; i < data->n_samples * data->n_outputs; i++)
    if (data->y[i] != 1.0 && data->y[i] != -1.0)
      return "loss";
  return "sign";
}

const char *train_track_error_kind_all(const js_dataset *data) {
  if (data->labels)
    return "class";
  int64_t loss = train_track_error_kind(data)[0] == 'l';
  if (js_comm_max(cli_comm(), &loss, 1))
    loss = 1;
  return loss ? "loss" : "sign";
}

/* The fraction of samples whose largest output is not their label; for
 * +-1 targets (parity, binary tasks) the fraction of outputs whose sign
 * differs from the target's (the misclassification rate, not a loss); for
 * other real-valued targets the loss 0.5 ||r||^2. */
static double error_of(const js_dataset *data, const char *kind, const double *residual) {
  int64_t n = data->n_samples, K = data->n_outputs;
  /* Sums over all ranks' samples. */
  if (kind[0] == 's') {
    int64_t wrong = 0;
    for (int64_t i = 0; i < n * K; i++) /* f = r + y: wrong when sign(f) != y */
      wrong += (residual[i] + data->y[i]) * data->y[i] <= 0;
    double count = (double)wrong; /* exact below 2^53 */
    return js_comm_sum(cli_comm(), &count, 1) ? NAN
                                               : count / (double)(cli_samples(data) * K);
  }
  if (!data->labels) {
    double sum = 0;
    for (int64_t i = 0; i < n * K; i++)
      sum += residual[i] * residual[i];
    return js_comm_sum(cli_comm(), &sum, 1) ? NAN : 0.5 * sum;
  }
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t best = 0;
    for (int64_t l = 1; l < K; l++) /* f = r + y */
      if (residual[i * K + l] + data->y[i * K + l] >
          residual[i * K + best] + data->y[i * K + best])
        best = l;
    wrong += best != data->labels[i];
  }
  double count = (double)wrong; /* exact below 2^53 */
  return js_comm_sum(cli_comm(), &count, 1) ? NAN : count / (double)cli_samples(data);
}

int train_track_step(void *ctx, const js_train_state *st) {
  train_track *tr = ctx;
  tr->lr = st->lr;
  tr->last_step = st->step;
  cli_progress_count(&tr->progress, "train", st->step, tr->steps);
  if (st->step == tr->space_step)
    memcpy(tr->theta_space, st->theta, sizeof(double) * (size_t)tr->n_params);
  if (st->step % tr->every != 0 && st->step != tr->steps)
    return 0;
  train_row *row = &tr->rows[tr->n_rows];
  *row = (train_row){.step = st->step,
                     .loss = st->loss,
                     .train_error = error_of(tr->train, tr->train_kind, st->residual),
                     .test_error = NAN,
                     .res_info = NAN, .res_nuisance = NAN,
                     .test_res_info = NAN, .test_res_nuisance = NAN,
                     .dist_from_init = st->dist_from_init,
                     .lin_gap = st->lin_gap,
                     .lin_dist = st->lin_dist,
                     .lr = st->lr,
                     .true_error = NAN,
                     .taylor_rem = st->taylor_rem,
                     .space_overlap = st->space_overlap,
                     .jacobian_change = st->jacobian_change};
  int64_t m = n_outputs(tr->train), m_test = n_outputs(tr->test);
  if (tr->corruption) { /* f - y_clean = r + (y_corrupted - y_clean) */
    for (int64_t i = 0; i < m; i++)
      tr->true_residual[i] = st->residual[i] + tr->corruption[i];
    row->true_error = error_of(tr->clean, tr->train_kind, tr->true_residual);
  }
  if (tr->test) {
    int failed = tr->test_model->forward(tr->test_model->ctx, st->theta, tr->test_residual);
    if (failed)
      cli_error("%s", js_last_error());
    if (cli_agree(failed != 0)) { /* every rank stops at the same step */
      tr->failed = 1;
      return 1;
    }
    cli_subtract_targets(tr->test, tr->test_residual);
    row->test_error = error_of(tr->test, tr->test_kind, tr->test_residual);
  }
  if (tr->keep_residuals) {
    memcpy(tr->kept + tr->n_rows * m, st->residual, sizeof(double) * (size_t)m);
    memcpy(tr->kept_test + tr->n_rows * m_test, tr->test_residual,
           sizeof(double) * (size_t)m_test);
  }
  tr->n_rows++;
  return 0;
}

/* ||Pi_I z|| and ||Pi_N z|| (absolute) into *info, *nuisance. */
static int split(const js_space *space, const double *z, double *info, double *nuisance) {
  js_alignment a;
  if (js_space_align(space, z, NULL, &a))
    return cli_library_error();
  *info = a.info * a.norm;
  *nuisance = a.nuisance * a.norm;
  return 0;
}

int train_track_project(train_track *tr, const js_space *space, const js_space *test_space) {
  int64_t m = n_outputs(tr->train), m_test = n_outputs(tr->test);
  for (int64_t k = 0; k < tr->n_rows; k++) {
    train_row *row = &tr->rows[k];
    if (split(space, tr->kept + k * m, &row->res_info, &row->res_nuisance) ||
        (test_space && split(test_space, tr->kept_test + k * m_test, &row->test_res_info,
                             &row->test_res_nuisance)))
      return 1;
  }
  /* The rows start at step 0: the first kept residual is r_0. */
  if (js_space_align(space, tr->train->y, NULL, &tr->labels_split) ||
      js_space_align(space, tr->kept, NULL, &tr->residual_split))
    return cli_library_error();
  tr->has_space = 1;
  if (tr->corruption) {
    if (js_space_align(space, tr->corruption, NULL, &tr->corruption_split))
      return cli_library_error();
    tr->has_corruption_split = 1;
  }
  return 0;
}

/* Table column widths: the name's, at least 12. */
static int width(int c) {
  int w = (int)strlen(columns[c].name);
  return w > 12 ? w : 12;
}

void train_track_print(const train_track *tr, FILE *f) {
  fprintf(f, "%8s", "step");
  for (int c = 0; c < N_COLUMNS; c++)
    if (has_column(tr, c))
      fprintf(f, "  %*s", width(c), columns[c].name);
  fputc('\n', f);
  for (int64_t k = 0; k < tr->n_rows; k++) {
    fprintf(f, "%8lld", (long long)tr->rows[k].step);
    for (int c = 0; c < N_COLUMNS; c++)
      if (has_column(tr, c))
        fprintf(f, "  %*.6g", width(c), column(&tr->rows[k], c));
    fputc('\n', f);
  }
  const struct {
    const char *name;
    const js_alignment *a;
    int has;
  } lines[] = {{"labels y", &tr->labels_split, tr->has_space},
               {"residual r_0", &tr->residual_split, tr->has_space},
               {"corruption y_corrupted - y_clean", &tr->corruption_split,
                tr->has_corruption_split}};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (lines[i].has)
      fprintf(f, "# %s on I and N: |Pi_I z|/|z| = %.6g, |Pi_N z|/|z| = %.6g, "
              "|J_I^+ z|/|z| = %.6g, |z| = %.6g\n", lines[i].name, lines[i].a->info,
              lines[i].a->nuisance, lines[i].a->pinv, lines[i].a->norm);
}

int train_track_has(const train_track *tr, const char *name) {
  for (int c = 0; c < N_COLUMNS; c++)
    if (strcmp(columns[c].name, name) == 0)
      return has_column(tr, c);
  return 0;
}

void train_track_csv(const train_track *tr, FILE *f) {
  fputs("step", f);
  for (int c = 0; c < N_COLUMNS; c++)
    if (has_column(tr, c))
      fprintf(f, ",%s", columns[c].name);
  fputc('\n', f);
  for (int64_t k = 0; k < tr->n_rows; k++) {
    fprintf(f, "%lld", (long long)tr->rows[k].step);
    for (int c = 0; c < N_COLUMNS; c++)
      if (has_column(tr, c))
        fprintf(f, ",%.17g", column(&tr->rows[k], c));
    fputc('\n', f);
  }
}

void train_track_json(const train_track *tr, json_writer *j) {
  json_array(j, "rows");
  for (int64_t k = 0; k < tr->n_rows; k++) {
    json_object(j, NULL);
    json_int(j, "step", tr->rows[k].step);
    for (int c = 0; c < N_COLUMNS; c++)
      if (has_column(tr, c))
        json_number(j, columns[c].name, column(&tr->rows[k], c));
    json_close_object(j);
  }
  json_close_array(j);
  if (tr->has_space) {
    cli_json_alignment(j, "labels", &tr->labels_split);
    cli_json_alignment(j, "residual", &tr->residual_split);
  }
  if (tr->has_corruption_split)
    cli_json_alignment(j, "corruption", &tr->corruption_split);
}

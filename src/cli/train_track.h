/* What `jacspec train` records while it trains: one row every E steps
 * (loss, errors, distances, the linearised gaps) and, when residuals are
 * to be split between I and N afterwards, the residuals of those steps. */
#ifndef JS_CLI_TRAIN_TRACK_H
#define JS_CLI_TRAIN_TRACK_H

#include "cli/output.h"
#include "jacspec.h"

#include <stdio.h>

typedef struct train_row {
  int64_t step;
  double loss, train_error, test_error;
  double res_info, res_nuisance, test_res_info, test_res_nuisance;
  double dist_from_init, lin_gap, lin_dist;
  double lr; /* eta of the update that reached the row's step */
  double true_error;    /* with --corrupt: the error against the clean labels */
  double taylor_rem;    /* ||f(theta_t) - f(theta_0) - J_0 (theta_t - theta_0)|| */
  double space_overlap; /* ||U_0^T U_t||_F^2 / r (--overlap) */
  double jacobian_change; /* ||J(theta_t) - J_0||_2 / ||J_0||_2 (--jacobian-change) */
} train_row;

typedef struct train_track {
  int64_t n_params;           /* p */
  const js_model *test_model; /* f(theta) on the test inputs (borrowed) */
  const js_dataset *train;    /* borrowed */
  const js_dataset *test;     /* borrowed, or NULL */
  int64_t every, steps;
  int keep_residuals;         /* for projections after training */
  int64_t space_step;         /* copy theta at this step (-1: none) */
  int linearized;
  int scheduled;              /* a learning-rate schedule: an lr column */
  int overlap;                /* --overlap: a space_overlap column */
  int jacobian_change;        /* --jacobian-change: a jacobian_change column */
  /* --corrupt: the training data with its clean labels (borrowed) and the
   * corruption vector y_corrupted - y_clean (nK, borrowed); NULL without. */
  const js_dataset *clean;
  const double *corruption;
  int has_corruption_split;   /* corruption_split filled */
  js_alignment corruption_split; /* the corruption vector on I and N */
  int has_space;              /* res_* columns filled, and the two below */
  /* The paper's Table 1 row of the space: the labels y and the initial
   * residual r_0 on I and N. */
  js_alignment labels_split, residual_split;
  int failed;                 /* a step could not be recorded (message printed) */
  double lr;                  /* eta in use */
  train_row *rows;
  int64_t n_rows;
  int64_t last_step;          /* the last step seen (-1 before step 0) */
  double *kept, *kept_test;   /* residuals of the rows, nK (nK_test) each */
  double *theta_space;        /* theta at space_step */
  double *test_residual;      /* nK_test */
  double *true_residual;      /* nK: f - y_clean, with --corrupt */
  const char *train_kind, *test_kind; /* train_track_error_kind, agreed by the ranks */
  cli_progress progress;
} train_track;

/* What train_error and test_error measure on data: "class" (labels: the
 * fraction misclassified), "sign" (every target +-1: the fraction of
 * outputs of the wrong sign) or "loss" (other real targets: 0.5 ||r||^2). */
const char *train_track_error_kind(const js_dataset *data);
/* Collective: the kind over all ranks' shards ("loss" if any is). */
const char *train_track_error_kind_all(const js_dataset *data);
/* Allocates the rows (and kept residuals); returns 0 or prints, returns 1. */
int train_track_init(train_track *tr);
void train_track_free(train_track *tr);
/* The js_train_callback: ctx is a train_track. */
int train_track_step(void *ctx, const js_train_state *state);
/* Splits the kept residuals on the spaces of J on the training and the
 * test inputs (test may be NULL) into the res_* columns, and the labels,
 * the initial residual and the corruption vector on the training space. */
int train_track_project(train_track *tr, const js_space *space, const js_space *test_space);

/* The rows as an aligned table, CSV (header, then rows) or the JSON list
 * "rows"; absent quantities are left out. */
void train_track_print(const train_track *tr, FILE *f);
void train_track_csv(const train_track *tr, FILE *f);
/* 1 when the column `name` (res_info, test_error, ...) is in the rows. */
int train_track_has(const train_track *tr, const char *name);
void train_track_json(const train_track *tr, json_writer *j);

#endif

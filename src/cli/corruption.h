/* --corrupt RHO and --save-labels FILE.npy, shared by split and train: the
 * paper's section 4 label corruption (Table 3, Figures 8 and 9) drawn from
 * --seed, so the two verbs with the same options corrupt the same labels,
 * and what the verbs report about it. */
#ifndef JS_CLI_CORRUPTION_H
#define JS_CLI_CORRUPTION_H

#include "cli/output.h"
#include "cli/problem.h"
#include "jacspec.h"

extern const cli_opt cli_corrupt_options[];

typedef struct cli_corruption {
  double rho;        /* --corrupt, NaN when not given */
  int64_t n_changed; /* labels changed: round(rho n) */
  double *delta;     /* nK: y_corrupted - y_clean, the corruption vector */
  js_dataset clean;  /* the data before corruption: its own y and labels,
                        x borrowed from the problem's data */
} cli_corruption;

/* Checks --corrupt and --save-labels (0, or prints and returns 2). */
int cli_corruption_parse(cli_corruption *c);
/* Corrupts pb->data's labels (js_dataset_corrupt_labels with --seed),
 * keeping the clean labels and delta; nothing without --corrupt. Returns
 * 0, or prints one line and returns 1. */
int cli_corruption_apply(cli_problem *pb, cli_corruption *c);
/* Writes --save-labels FILE.npy (the n labels used, float64), if given:
 * the verbs call it where they call cli_problem_save_init. */
int cli_corruption_save_labels(const cli_problem *pb);
/* "corrupt" (rho) and "corrupted" (the count), when corrupted. */
void cli_corruption_json(const cli_corruption *c, json_writer *j);
void cli_corruption_free(cli_corruption *c);

#endif

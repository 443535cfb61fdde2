/* Result files and streams: a file appears complete or not at all (written
 * to PATH.tmp and renamed on success), "-" is standard output; a small JSON
 * writer; progress lines on a terminal. */
#ifndef JS_CLI_OUTPUT_H
#define JS_CLI_OUTPUT_H

#include "jacspec.h"

#include <stdint.h>
#include <stdio.h>

typedef struct cli_output {
  FILE *f;         /* NULL when not requested */
  char path[4096]; /* final path; empty for stdout */
  char tmp[4100];
} cli_output;

/* A verb's machine-readable results: --json and --csv. */
typedef struct cli_results {
  cli_output json, csv;
} cli_results;

/* Opens the files asked for (a NULL path: not requested). Returns 0, or
 * prints one line and returns 1. */
int cli_results_open(cli_results *r, const char *json_path, const char *csv_path);
/* True unless one of them writes to standard output: the table for people
 * goes there then, and would mix with it. */
int cli_results_table_wanted(const cli_results *r);
/* Closes both; when ok, no signal was caught (cli/signals.h) and every
 * write succeeded, renames both into place, else removes both
 * temporaries, so a run never leaves one of the two looking complete. Returns 0, or prints one line (when ok) and returns 1. */
int cli_results_close(cli_results *r, int ok);

/* JSON: values written with %.17g, non-finite numbers as null. */
typedef struct json_writer {
  FILE *f;
  int depth;
  int n_items[32]; /* items written at each depth, for commas */
} json_writer;

void json_begin(json_writer *j, FILE *f); /* opens the top-level object */
void json_end(json_writer *j);            /* closes it and ends the line */
void json_object(json_writer *j, const char *key);
void json_array(json_writer *j, const char *key);
void json_close_object(json_writer *j);
void json_close_array(json_writer *j);
void json_number(json_writer *j, const char *key, double value);
void json_int(json_writer *j, const char *key, int64_t value);
void json_bool(json_writer *j, const char *key, int value);
void json_string(json_writer *j, const char *key, const char *value);
void json_numbers(json_writer *j, const char *key, int64_t n, const double *values);

/* Progress of a long run (spectrum, density, train, and the solves of split
 * and train) on one self-updating line of stderr when it is a terminal and
 * not --quiet: the products (or steps) done, restarts and triplets
 * converged where the solver knows them, elapsed time, rate and an estimate
 * of the time left (when the total is known; else '?'). The line is redrawn
 * at most ten times a second (at once when a new solve or stage starts, and
 * at the total) and cleared by cli_progress_done. */
typedef struct cli_progress {
  int enabled;
  int shown;           /* a line is on the screen and must be cleared */
  double start, drawn; /* seconds (monotonic): at init, at the last redraw */
  const char *stage;   /* of the last redraw, with its triplets wanted: a */
  int64_t wanted;      /* new solve is drawn at once */
} cli_progress;
void cli_progress_init(cli_progress *p, int quiet);
/* A js_progress_fn: ctx is a cli_progress. */
void cli_progress_report(void *ctx, const js_progress *progress);
/* The same for a count of `done` of `total` (0: unknown) under `stage`. */
void cli_progress_count(cli_progress *p, const char *stage, int64_t done, int64_t total);
void cli_progress_done(cli_progress *p);

#endif

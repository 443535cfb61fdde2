#include "cli/output.h"

#include "cli/parallel.h"

#include "cli/args.h"
#include "cli/signals.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int output_open(cli_output *out, const char *path) {
  memset(out, 0, sizeof *out);
  if (!path)
    return 0;
  if (strcmp(path, "-") == 0) {
    out->f = stdout;
    return 0;
  }
  snprintf(out->path, sizeof out->path, "%s", path);
  snprintf(out->tmp, sizeof out->tmp, "%s.tmp", path);
  out->f = fopen(out->tmp, "w");
  if (!out->f) {
    cli_error("%s: cannot write: %s", path, strerror(errno));
    return 1;
  }
  return 0;
}

int cli_results_open(cli_results *r, const char *json_path, const char *csv_path) {
  memset(r, 0, sizeof *r);
  if (cli_rank() != 0) /* rank 0 writes the results of all */
    return 0;
  return output_open(&r->json, json_path) || output_open(&r->csv, csv_path);
}

int cli_results_table_wanted(const cli_results *r) {
  return !(r->json.f && !r->json.path[0]) && !(r->csv.f && !r->csv.path[0]);
}

/* Flushes and closes out; returns errno of the first failure, or 0. */
static int output_finish(cli_output *out) {
  if (!out->f)
    return 0;
  FILE *f = out->f;
  out->f = NULL;
  if (!out->path[0])
    return fflush(f) == 0 ? 0 : (errno ? errno : EIO);
  int failed = ferror(f) || fclose(f) != 0;
  return failed ? (errno ? errno : EIO) : 0;
}

int cli_results_close(cli_results *r, int ok) {
  cli_output *outs[2] = {&r->json, &r->csv};
  /* An interrupted run's results are not complete, whatever the verb had
   * got to. */
  if (cli_signal_caught())
    ok = 0;
  const char *failed_path = NULL;
  int err = 0;
  for (int i = 0; i < 2; i++) {
    int opened = outs[i]->f != NULL;
    int e = output_finish(outs[i]);
    if (opened && e && !failed_path) {
      failed_path = outs[i]->path[0] ? outs[i]->path : "standard output";
      err = e;
    }
  }
  int renamed[2] = {0, 0};
  for (int i = 0; i < 2 && ok && !failed_path; i++) {
    if (!outs[i]->path[0])
      continue;
    renamed[i] = rename(outs[i]->tmp, outs[i]->path) == 0;
    if (!renamed[i]) {
      failed_path = outs[i]->path;
      err = errno;
    }
  }
  /* Nothing half-done stays: the temporaries, and a file renamed before the
   * other failed. */
  if (!ok || failed_path)
    for (int i = 0; i < 2; i++)
      if (outs[i]->path[0])
        remove(renamed[i] ? outs[i]->path : outs[i]->tmp);
  if (ok && failed_path) {
    cli_error("%s: cannot write: %s", failed_path, strerror(err));
    return 1;
  }
  return 0;
}

static void json_key(json_writer *j, const char *key) {
  if (j->n_items[j->depth]++)
    fputc(',', j->f);
  if (key)
    fprintf(j->f, "\"%s\":", key);
}

static void json_value(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.17g", v);
  else
    fputs("null", f);
}

void json_begin(json_writer *j, FILE *f) {
  memset(j, 0, sizeof *j);
  j->f = f;
  fputc('{', f);
  j->depth = 1;
}

void json_end(json_writer *j) { fputs("}\n", j->f); }

void json_object(json_writer *j, const char *key) {
  json_key(j, key);
  fputc('{', j->f);
  j->n_items[++j->depth] = 0;
}

void json_array(json_writer *j, const char *key) {
  json_key(j, key);
  fputc('[', j->f);
  j->n_items[++j->depth] = 0;
}

void json_close_object(json_writer *j) {
  fputc('}', j->f);
  j->depth--;
}

void json_close_array(json_writer *j) {
  fputc(']', j->f);
  j->depth--;
}

void json_number(json_writer *j, const char *key, double value) {
  json_key(j, key);
  json_value(j->f, value);
}

void json_int(json_writer *j, const char *key, int64_t value) {
  json_key(j, key);
  fprintf(j->f, "%lld", (long long)value);
}

void json_bool(json_writer *j, const char *key, int value) {
  json_key(j, key);
  fputs(value ? "true" : "false", j->f);
}

void json_string(json_writer *j, const char *key, const char *value) {
  json_key(j, key);
  fputc('"', j->f);
  for (const char *c = value; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(j->f, "\\%c", *c);
    else if ((unsigned char)*c < 0x20)
      fprintf(j->f, "\\u%04x", (unsigned)*c);
    else
      fputc(*c, j->f);
  }
  fputc('"', j->f);
}

void json_numbers(json_writer *j, const char *key, int64_t n, const double *values) {
  json_array(j, key);
  for (int64_t i = 0; i < n; i++)
    json_number(j, NULL, values[i]);
  json_close_array(j);
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void cli_progress_init(cli_progress *p, int quiet) {
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->shown = 0;
  p->start = now_seconds();
  p->drawn = -1;
  p->stage = NULL;
  p->wanted = 0;
}

/* What a stage's count counts, and how it is named on the line. */
static void stage_words(const char *stage, const char **name, const char **unit) {
  *name = stage;
  *unit = "products";
  if (strcmp(stage, "lanczos") == 0) {
    *name = "Lanczos (Gram side)";
    *unit = "J J^T products";
  } else if (strcmp(stage, "gkl") == 0) {
    *name = "GKL";
    *unit = "J + J^T steps";
  } else if (strcmp(stage, "density") == 0) {
    *unit = "J J^T products";
  } else if (strcmp(stage, "train") == 0) {
    *unit = "steps";
  }
}

void cli_progress_report(void *ctx, const js_progress *pr) {
  cli_progress *p = ctx;
  if (!p->enabled)
    return;
  double t = now_seconds(), elapsed = t - p->start;
  /* A new solve's first line at once, then ten a second: a terminal is slow. */
  int fresh = p->drawn < 0 || strcmp(p->stage, pr->stage) != 0 || p->wanted != pr->wanted;
  if (!fresh && t - p->drawn < 0.1 && !(pr->total > 0 && pr->done >= pr->total))
    return;
  p->drawn = t;
  p->stage = pr->stage;
  p->wanted = pr->wanted;
  const char *name, *unit;
  stage_words(pr->stage, &name, &unit);
  char line[256];
  size_t size = sizeof line;
  int used = snprintf(line, size, "%s: %lld", name, (long long)pr->done);
  if (pr->total > 0)
    used += snprintf(line + used, size - (size_t)used, "/%lld", (long long)pr->total);
  used += snprintf(line + used, size - (size_t)used, " %s", unit);
  if (pr->restarts >= 0)
    used += snprintf(line + used, size - (size_t)used, ", %lld restarts",
                     (long long)pr->restarts);
  if (pr->wanted > 0)
    used += pr->converged >= 0
                ? snprintf(line + used, size - (size_t)used, ", %lld/%lld converged",
                           (long long)pr->converged, (long long)pr->wanted)
                : snprintf(line + used, size - (size_t)used, ", ?/%lld converged",
                           (long long)pr->wanted);
  double rate = elapsed > 0 ? (double)pr->done / elapsed : 0;
  used += snprintf(line + used, size - (size_t)used, ", %.1f s, %.3g/s", elapsed, rate);
  if (pr->total > 0 && rate > 0)
    snprintf(line + used, size - (size_t)used, ", %.0f s left",
             (double)(pr->total - pr->done) / rate);
  else
    snprintf(line + used, size - (size_t)used, ", ? left");
  /* \r to the line's start, the text, and the rest of the old line erased. */
  fprintf(stderr, "\r%s\033[K", line);
  fflush(stderr);
  p->shown = 1;
}

void cli_progress_count(cli_progress *p, const char *stage, int64_t done, int64_t total) {
  js_progress pr = {.stage = stage, .done = done, .total = total, .restarts = -1,
                    .converged = -1};
  cli_progress_report(p, &pr);
}

void cli_progress_done(cli_progress *p) {
  if (p->shown)
    fputs("\r\033[K", stderr);
  fflush(stderr);
  p->shown = 0;
}

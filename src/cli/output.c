#include "cli/output.h"

#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

int cli_output_open(cli_output *out, const char *path) {
  memset(out, 0, sizeof *out);
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

int cli_output_close(cli_output *out, int ok) {
  if (!out->f)
    return 0;
  if (!out->path[0]) {
    out->f = NULL;
    return fflush(stdout) == 0 ? 0 : 1;
  }
  int failed = ferror(out->f);
  failed |= fclose(out->f) != 0;
  out->f = NULL;
  if (!ok || failed || rename(out->tmp, out->path) != 0) {
    int err = errno;
    remove(out->tmp);
    if (ok) {
      cli_error("%s: cannot write: %s", out->path, strerror(err));
      return 1;
    }
  }
  return 0;
}

int cli_output_is_stdout(const cli_output *out) {
  return out->f && !out->path[0];
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

void cli_progress_init(cli_progress *p, int quiet) {
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->shown = 0;
}

void cli_progress_report(void *ctx, const char *stage, int64_t done, int64_t total) {
  cli_progress *p = ctx;
  if (!p->enabled)
    return;
  if (total > 0)
    fprintf(stderr, "\r%s: %lld / %lld   ", stage, (long long)done, (long long)total);
  else
    fprintf(stderr, "\r%s: %lld   ", stage, (long long)done);
  fflush(stderr);
  p->shown = 1;
}

void cli_progress_done(cli_progress *p) {
  if (p->shown)
    fputs("\r\033[K", stderr);
  p->shown = 0;
}

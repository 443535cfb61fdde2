/* Tabular data from CSV: numbers separated by commas, one sample a line,
 * an optional header line, one column of integer class ids. */
#include "core/error.h"
#include "data/dataset.h"
#include "data/gzfile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A line holding nothing but spaces, tabs and carriage returns; it ends at
 * a newline or (cut in place) at a '\0'. */
static int is_blank(const char *line) {
  char end = line[strspn(line, " \t\r")];
  return end == '\0' || end == '\n';
}

/* A file cut into lines in place; blank lines are skipped. */
typedef struct csv_cursor {
  char *next;
  int64_t line; /* number (from 1) of the line last returned */
} csv_cursor;

static char *next_line(csv_cursor *c) {
  while (*c->next) {
    char *line = c->next, *end = strchr(line, '\n');
    c->next = end ? end + 1 : line + strlen(line);
    if (end)
      *end = '\0';
    c->line++;
    if (!is_blank(line))
      return line;
  }
  return NULL;
}

/* The lines of text that are not blank (each is a row, or an error), and
 * its commas. */
static int64_t count_lines(const char *text, int64_t *commas) {
  int64_t lines = 0;
  *commas = 0;
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n');
    if (!end)
      end = line + strlen(line);
    lines += !is_blank(line);
    for (const char *p = line; (p = memchr(p, ',', (size_t)(end - p))); p++)
      ++*commas;
    line = *end ? end + 1 : end;
  }
  return lines;
}

static char *trim(char *cell) {
  cell += strspn(cell, " \t");
  size_t len = strlen(cell);
  while (len > 0 && strchr(" \t\r", cell[len - 1]))
    cell[--len] = '\0';
  return cell;
}

/* Splits line at its commas into exactly n_fields trimmed cells; returns
 * the number of fields the line has. */
static int64_t split(char *line, char **cells, int64_t n_fields) {
  int64_t count = 0;
  for (char *cell = line;; count++) {
    char *comma = strchr(cell, ',');
    if (comma)
      *comma = '\0';
    if (count < n_fields)
      cells[count] = trim(cell);
    if (!comma)
      return count + 1;
    cell = comma + 1;
  }
}

static int is_number(const char *cell, double *value) {
  char *end;
  *value = strtod(cell, &end);
  return *cell != '\0' && *end == '\0';
}

/* The 0-based index of label_column: a header name, else a number from 1. */
static int find_label_column(const char *path, char **header, int64_t n_cols,
                             const char *label_column, int64_t *column) {
  *column = -1;
  for (int64_t j = 0; header && j < n_cols; j++) {
    const char *name = header[j];
    size_t len = strlen(name);
    int quoted = len >= 2 && name[0] == '"' && name[len - 1] == '"';
    if ((!quoted && strcmp(name, label_column) == 0) ||
        (quoted && len - 2 == strlen(label_column) &&
         strncmp(name + 1, label_column, len - 2) == 0)) {
      *column = j;
      return JS_OK;
    }
  }
  char *end;
  long long number = strtoll(label_column, &end, 10);
  if (*label_column && *end == '\0' && number >= 1 && number <= n_cols) {
    *column = number - 1;
    return JS_OK;
  }
  return js_fail(JS_EINVAL, "%s: no label column '%s' (the file has %lld columns%s; give a "
                 "header name or a number from 1)", path, label_column, (long long)n_cols,
                 header ? " with a header" : " and no header");
}

/* Parses one data row into its features and label. */
static int parse_row(const char *path, int64_t line, char **cells, int64_t n_cols,
                     int64_t label_col, double *features, int32_t *label) {
  for (int64_t j = 0, f = 0; j < n_cols; j++) {
    double v;
    if (!is_number(cells[j], &v) || !isfinite(v))
      return js_fail(JS_EFORMAT, "%s: line %lld, column %lld: '%s' is not a finite number",
                     path, (long long)line, (long long)(j + 1), cells[j]);
    if (j != label_col) {
      features[f++] = v;
      continue;
    }
    if (v < 0 || v != floor(v) || v > JS_MAX_CLASS_ID)
      return js_fail(JS_EFORMAT, "%s: line %lld, column %lld: label %s is not a class id "
                     "(an integer 0..K-1)", path, (long long)line, (long long)(j + 1), cells[j]);
    *label = (int32_t)v;
  }
  return JS_OK;
}

int js_dataset_csv(const char *path, const char *label_column, js_dataset **out) {
  return js_dataset_csv_shard(path, label_column, 0, 1, out);
}

int js_dataset_csv_shard(const char *path, const char *label_column, int part, int parts,
                         js_dataset **out) {
  if (!path || !out)
    return js_fail(JS_EINVAL, "js_dataset_csv: NULL path or output");
  *out = NULL;
  if (!label_column)
    return js_fail(JS_EINVAL, "%s: the label column (a header name or a number from 1) "
                   "must be given", path);
  unsigned char *text = NULL;
  size_t size;
  char **cells = NULL, **names = NULL, **header = NULL, *first_copy = NULL;
  double *x = NULL, *scratch = NULL;
  int32_t *labels = NULL;
  int rc = js_read_gz(path, &text, &size);
  if (rc)
    return rc;
  csv_cursor cursor = {(char *)text, 0};
  if (strncmp(cursor.next, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte-order mark */
    cursor.next += 3;
  char *first = next_line(&cursor);
  if (!first) {
    rc = js_fail(JS_EFORMAT, "%s: empty file", path);
    goto done;
  }
  int64_t first_line = cursor.line;
  int64_t n_cols = 1;
  for (const char *p = first; (p = strchr(p, ',')); p++)
    n_cols++;
  cells = js_alloc((size_t)n_cols, sizeof *cells, "CSV cells");
  names = js_alloc((size_t)n_cols, sizeof *names, "CSV header");
  first_copy = js_alloc(strlen(first) + 1, 1, "CSV header");
  if (!cells || !names || !first_copy) {
    rc = JS_ENOMEM;
    goto done;
  }
  /* Split a copy: without a header the first line is also the first row. */
  split(strcpy(first_copy, first), names, n_cols);
  for (int64_t j = 0; j < n_cols && !header; j++) {
    double v;
    if (!is_number(names[j], &v))
      header = names;
  }
  if (n_cols < 2) {
    rc = js_fail(JS_EFORMAT, "%s: one column only: no features besides the labels", path);
    goto done;
  }
  int64_t label_col, n_features = n_cols - 1, max_label = 0, commas;
  if ((rc = find_label_column(path, header, n_cols, label_column, &label_col)))
    goto done;
  /* Every line that is not blank is a row, so the rows are known before
   * any is parsed, and with them this part's share. */
  int64_t n = count_lines(cursor.next, &commas) + !header, shard_first, count;
  if (n == 0) {
    rc = js_fail(JS_EFORMAT, "%s: a header line and no data", path);
    goto done;
  }
  if ((rc = js_shard_rows(n, part, parts, path, &shard_first, &count)))
    goto done;
  /* A row holds n_cols - 1 commas: when the lines after the first have
   * fewer, a row is short
   * and the scan below fails on it, so nothing is stored (a wide first
   * line over many short ones must not ask for lines x columns cells). */
  if (commas / (n_cols - 1) < n - !header)
    count = 0;
  x = js_alloc((size_t)count, sizeof *x * (size_t)n_features, "CSV data");
  labels = js_alloc((size_t)count, sizeof *labels, "CSV labels");
  scratch = js_alloc((size_t)n_features, sizeof *scratch, "CSV row");
  if (!x || !labels || !scratch) {
    rc = JS_ENOMEM;
    goto done;
  }
  /* Every row is checked, so each part finds the same errors; only this
   * part's rows are kept. cursor.line is always the number of the line in
   * hand. */
  int64_t i = 0;
  for (char *line = header ? next_line(&cursor) : first; line; line = next_line(&cursor), i++) {
    int64_t fields = split(line, cells, n_cols), row = i - shard_first;
    if (fields != n_cols) {
      rc = js_fail(JS_EFORMAT, "%s: line %lld has %lld fields, expected %lld as in line %lld",
                   path, (long long)cursor.line, (long long)fields, (long long)n_cols,
                   (long long)first_line);
      goto done;
    }
    int keep = row >= 0 && row < count;
    int32_t id = 0;
    if ((rc = parse_row(path, cursor.line, cells, n_cols, label_col,
                        keep ? x + row * n_features : scratch, &id)))
      goto done;
    if (keep)
      labels[row] = id;
    if (id > max_label)
      max_label = id;
  }
  if ((rc = js_dataset_create(count, n_features, max_label + 1, 1, out)))
    goto done;
  free((*out)->x); /* the rows are handed over, not copied */
  (*out)->x = x;
  x = NULL;
  memcpy((*out)->labels, labels, sizeof *labels * (size_t)count);
  if (parts > 1) {
    (*out)->first_sample = shard_first;
    (*out)->total_samples = n;
  }
  if ((rc = js_dataset_one_hot(*out))) {
    js_dataset_free(*out);
    *out = NULL;
  }
done:
  free(text);
  free(cells);
  free(names);
  free(first_copy);
  free(x);
  free(scratch);
  free(labels);
  return rc;
}

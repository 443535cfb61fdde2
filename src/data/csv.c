/* Tabular data from CSV: numbers separated by commas, one sample a line,
 * an optional header line, one column of integer class ids. */
#include "core/error.h"
#include "data/gzfile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    if (line[strspn(line, " \t\r")] != '\0')
      return line;
  }
  return NULL;
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
  if (!path || !out)
    return js_fail(JS_EINVAL, "js_dataset_csv: NULL path or output");
  *out = NULL;
  if (!label_column)
    return js_fail(JS_EINVAL, "%s: the label column (a header name or a number from 1) "
                   "must be given", path);
  unsigned char *text = NULL;
  size_t size;
  char **cells = NULL, **names = NULL, **header = NULL, *first_copy = NULL;
  double *x = NULL;
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
  /* Rows are at most one a line: the first, one per newline after it, and
   * a last line without a newline. Each row after the first also holds
   * n_cols - 1 commas, which bounds them too: a wide first line over many
   * blank lines must not ask for (lines x columns) cells. */
  int64_t max_rows = 2, commas = 0;
  for (const char *p = cursor.next; (p = strpbrk(p, ",\n")); p++)
    *p == ',' ? commas++ : max_rows++;
  if (n_cols > 1 && commas / (n_cols - 1) + 2 < max_rows)
    max_rows = commas / (n_cols - 1) + 2;
  cells = js_alloc((size_t)n_cols, sizeof *cells, "CSV cells");
  names = js_alloc((size_t)n_cols, sizeof *names, "CSV header");
  first_copy = js_alloc(strlen(first) + 1, 1, "CSV header");
  x = js_alloc((size_t)max_rows, sizeof *x * (size_t)n_cols, "CSV data");
  labels = js_alloc((size_t)max_rows, sizeof *labels, "CSV labels");
  if (!cells || !names || !first_copy || !x || !labels) {
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
  int64_t label_col, n_features = n_cols - 1, max_label = 0, n = 0;
  if ((rc = find_label_column(path, header, n_cols, label_column, &label_col)))
    goto done;
  /* cursor.line is always the number of the line in hand. */
  for (char *line = header ? next_line(&cursor) : first; line; line = next_line(&cursor), n++) {
    int64_t fields = split(line, cells, n_cols);
    if (fields != n_cols) {
      rc = js_fail(JS_EFORMAT, "%s: line %lld has %lld fields, expected %lld as in line %lld",
                   path, (long long)cursor.line, (long long)fields, (long long)n_cols,
                   (long long)first_line);
      goto done;
    }
    if ((rc = parse_row(path, cursor.line, cells, n_cols, label_col, x + n * n_features,
                        &labels[n])))
      goto done;
    if (labels[n] > max_label)
      max_label = labels[n];
  }
  if (n == 0) {
    rc = js_fail(JS_EFORMAT, "%s: a header line and no data", path);
    goto done;
  }
  if ((rc = js_dataset_create(n, n_features, max_label + 1, 1, out)))
    goto done;
  memcpy((*out)->x, x, sizeof *x * (size_t)(n * n_features));
  memcpy((*out)->labels, labels, sizeof *labels * (size_t)n);
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
  free(labels);
  return rc;
}

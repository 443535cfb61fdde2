/* CSV reading: files written here, with and without a header, and each
 * kind of bad input naming the file, line and column. */
#include "scratch.h"
#include "shards.h"

#include "jacspec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

/* Writes text to scratch file `name` (gzipped when gzip) and reads it. */
static int load(const char *name, const char *text, int gzip, const char *label_column,
                char *path, js_dataset **out) {
  scratch_path(path, 256, name);
  scratch_write(path, text, strlen(text), gzip);
  return js_dataset_csv(path, label_column, out);
}

static void assert_rows(const js_dataset *data, int64_t n, int64_t d, int64_t k,
                        const double *x, const int32_t *labels) {
  assert_int_equal(data->n_samples, n);
  assert_int_equal(data->dim, d);
  assert_int_equal(data->n_outputs, k);
  for (int64_t i = 0; i < n * d; i++)
    assert_true(data->x[i] == x[i]);
  for (int64_t i = 0; i < n; i++) {
    assert_int_equal(data->labels[i], labels[i]);
    for (int64_t l = 0; l < k; l++)
      assert_true(data->y[i * k + l] == (l == labels[i]));
  }
}

static void test_with_header(void **state) {
  (void)state;
  const double x[] = {1.5, -3, 0.25, 1e3, -0.0, 7};
  const int32_t labels[] = {2, 0, 1};
  const char *text = "a, label ,b\n1.5,2,-3\r\n\n0.25, 0 ,1e3\n-0.0,1,7\n\n";
  char path[256];
  js_dataset *data = NULL;
  for (int gzip = 0; gzip <= 1; gzip++) {
    assert_int_equal(load(gzip ? "h.csv.gz" : "h.csv", text, gzip, "label", path, &data),
                     JS_OK);
    assert_rows(data, 3, 2, 3, x, labels);
    js_dataset_free(data);
  }
  /* The label column by number (from 1) and by a quoted header name. */
  assert_int_equal(load("n.csv", text, 0, "2", path, &data), JS_OK);
  assert_rows(data, 3, 2, 3, x, labels);
  js_dataset_free(data);
  assert_int_equal(load("q.csv", "\"x\",\"y\"\n4,1\n", 0, "y", path, &data), JS_OK);
  assert_rows(data, 1, 1, 2, (const double[]){4}, (const int32_t[]){1});
  js_dataset_free(data);
}

static void test_without_header(void **state) {
  (void)state;
  const double x[] = {0.5, 0.25, 2, 3};
  const int32_t labels[] = {1, 0};
  char path[256];
  js_dataset *data = NULL;
  assert_int_equal(load("plain.csv", "0.5,0.25,1\n2,3,0", 0, "3", path, &data), JS_OK);
  assert_rows(data, 2, 2, 2, x, labels);
  js_dataset_free(data);
}

static void test_bad_shape(void **state) {
  (void)state;
  char path[256];
  js_dataset *data = NULL;
  assert_failure(load("ragged.csv", "a,b,c\n1,2,3\n4,5\n", 0, "c", path, &data), JS_EFORMAT,
                 path, "line 3", "2 fields", NULL);
  assert_failure(load("long.csv", "1,2,3\n\n4,5,6,7\n", 0, "1", path, &data), JS_EFORMAT,
                 path, "line 3", "4 fields", NULL);
  assert_failure(load("empty.csv", "", 0, "1", path, &data), JS_EFORMAT, path, "empty", NULL);
  assert_failure(load("blank.csv", "\n \n", 0, "1", path, &data), JS_EFORMAT, path, "empty",
                 NULL);
  assert_failure(load("header.csv", "a,b\n", 0, "a", path, &data), JS_EFORMAT, path,
                 "no data", NULL);
  assert_null(data);
}

static void test_bad_cells(void **state) {
  (void)state;
  char path[256];
  js_dataset *data = NULL;
  assert_failure(load("word.csv", "a,b\n1,0\n2,x7\n", 0, "b", path, &data), JS_EFORMAT, path,
                 "line 3", "column 2", "x7", NULL);
  assert_failure(load("gap.csv", "1,0\n,1\n", 0, "2", path, &data), JS_EFORMAT, path,
                 "line 2", "column 1", NULL);
  assert_failure(load("nan.csv", "1,0\nnan,1\n", 0, "2", path, &data), JS_EFORMAT, path,
                 "line 2", "finite", NULL);
  assert_failure(load("frac.csv", "1,0\n2,1.5\n", 0, "2", path, &data), JS_EFORMAT, path,
                 "line 2", "1.5", NULL);
  assert_failure(load("neg.csv", "1,-1\n", 0, "2", path, &data), JS_EFORMAT, path, "line 1",
                 "-1", NULL);
  assert_null(data);
}

static void test_bad_label_column(void **state) {
  (void)state;
  char path[256];
  js_dataset *data = NULL;
  assert_failure(load("name.csv", "a,b\n1,0\n", 0, "label", path, &data), JS_EINVAL, path,
                 "label", NULL);
  assert_failure(load("index.csv", "1,0\n", 0, "3", path, &data), JS_EINVAL, path, "'3'",
                 "2 columns", NULL);
  assert_failure(load("zero.csv", "1,0\n", 0, "0", path, &data), JS_EINVAL, path, NULL);
  assert_failure(load("none.csv", "1,0\n", 0, NULL, path, &data), JS_EINVAL, path,
                 "label column", NULL);
  assert_failure(load("one.csv", "3\n1\n", 0, "1", path, &data), JS_EFORMAT, path,
                 "one column", NULL);
  assert_null(data);
}

/* 11 rows between blank and CRLF lines: read in 1..11 parts (even and
 * uneven ones), part by part, each holds the whole read's rows. The
 * largest label is in the last row only, so K comes from every row. */
static void test_shards(void **state) {
  (void)state;
  enum { ROWS = 11 };
  const char *text = "f1,label,f2\n\n1,0,2\n3,1,4\r\n5,2,6\n \n7,0,8\n9,1,10\n11,2,12\n"
                     "13,0,14\n15,1,16\n\n17,2,18\n19,0,20\n21,5,22";
  char path[256];
  js_dataset *whole = NULL, *shards[ROWS + 1] = {NULL};
  assert_int_equal(load("shards.csv.gz", text, 1, "label", path, &whole), JS_OK);
  const int32_t labels[ROWS] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 5};
  double x[2 * ROWS];
  for (int i = 0; i < 2 * ROWS; i++)
    x[i] = i + 1; /* the features run 1, 2, 3, ... as written */
  assert_rows(whole, ROWS, 2, 6, x, labels);
  for (int parts = 1; parts <= ROWS; parts++) {
    for (int part = 0; part < parts; part++)
      assert_int_equal(js_dataset_csv_shard(path, "label", part, parts, &shards[part]), JS_OK);
    assert_shards_equal(whole, shards, parts);
    for (int part = 0; part < parts; part++)
      js_dataset_free(shards[part]);
  }
  assert_failure(js_dataset_csv_shard(path, "label", ROWS, ROWS + 1, &shards[0]), JS_EINVAL,
                 path, "cannot be split", NULL);
  assert_null(shards[0]);
  js_dataset_free(whole);
}

/* A bad row fails every part with the same message, whether or not it is
 * among the part's rows: each part checks every row. */
static void test_every_part_checks_every_row(void **state) {
  (void)state;
  char path[256], first[1024];
  js_dataset *data = NULL;
  scratch_path(path, sizeof path, "lastbad.csv");
  const char *bad[] = {"a,b\n1,0\n2,1\n3,0\n4,1\n5,x7\n", "a,b\n1,0\n2,1\n3,0\n4,1\n5\n"};
  for (int k = 0; k < 2; k++) {
    scratch_write(path, bad[k], strlen(bad[k]), 0);
    for (int part = 0; part < 3; part++) {
      assert_failure(js_dataset_csv_shard(path, "b", part, 3, &data), JS_EFORMAT, path,
                     "line 6", NULL);
      if (part == 0)
        snprintf(first, sizeof first, "%s", js_last_error());
      assert_string_equal(js_last_error(), first);
    }
  }
  assert_null(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_with_header), cmocka_unit_test(test_without_header),
      cmocka_unit_test(test_bad_shape),   cmocka_unit_test(test_bad_cells),
      cmocka_unit_test(test_bad_label_column), cmocka_unit_test(test_shards),
      cmocka_unit_test(test_every_part_checks_every_row),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

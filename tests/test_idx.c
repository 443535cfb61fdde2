/* IDX (MNIST-format) reading: files written here with known contents,
 * plain and gzipped, and each kind of bad input. */
#include "scratch.h"

#include "jacspec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 12, ROWS = 2, COLS = 3, PIXELS = ROWS * COLS, CLASSES = 4 };

static unsigned char pixel(int image, int j) { return (unsigned char)((image * 7 + j * 13) % 256); }
static int label(int image) { return image % CLASSES; }

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* An images file of n images (magic 0x00000803) and a labels file of
 * n_labels labels (0x00000801), written as `name`-images / -labels. */
static void write_pair(const char *name, int n, int n_labels, int gzip, char *images,
                       char *labels) {
  unsigned char img[16 + N * PIXELS], lab[8 + N];
  put_u32(img, 0x803);
  put_u32(img + 4, (uint32_t)n);
  put_u32(img + 8, ROWS);
  put_u32(img + 12, COLS);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < PIXELS; j++)
      img[16 + i * PIXELS + j] = pixel(i, j);
  put_u32(lab, 0x801);
  put_u32(lab + 4, (uint32_t)n_labels);
  for (int i = 0; i < n_labels; i++)
    lab[8 + i] = (unsigned char)label(i);
  char file[64];
  snprintf(file, sizeof file, "%s-images", name);
  scratch_path(images, 256, file);
  snprintf(file, sizeof file, "%s-labels", name);
  scratch_path(labels, 256, file);
  scratch_write(images, img, 16 + (size_t)n * PIXELS, gzip);
  scratch_write(labels, lab, 8 + (size_t)n_labels, gzip);
}

/* Row i of data is image `image` of the file, with class `cls`. */
static void assert_sample(const js_dataset *data, int64_t i, int image, int cls) {
  for (int j = 0; j < PIXELS; j++)
    assert_true(data->x[i * PIXELS + j] == pixel(image, j) / 255.0);
  assert_int_equal(data->labels[i], cls);
  for (int64_t l = 0; l < data->n_outputs; l++)
    assert_true(data->y[i * data->n_outputs + l] == (l == cls));
}

static void test_plain_and_gzip(void **state) {
  (void)state;
  for (int gzip = 0; gzip <= 1; gzip++) {
    char images[256], labels[256];
    write_pair(gzip ? "gz" : "plain", N, N, gzip, images, labels);
    js_dataset *data = NULL;
    assert_int_equal(js_dataset_idx(images, labels, NULL, &data), JS_OK);
    assert_int_equal(data->n_samples, N);
    assert_int_equal(data->dim, PIXELS);
    assert_int_equal(data->n_outputs, CLASSES);
    for (int i = 0; i < N; i++)
      assert_sample(data, i, i, label(i));
    js_dataset_free(data);
  }
}

static void test_classes_and_per_class(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("pick", N, N, 1, images, labels);
  const int32_t classes[] = {2, 0};
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  opt.classes = classes;
  opt.n_classes = 2;
  opt.per_class = 2;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_idx(images, labels, &opt, &data), JS_OK);
  /* Labels run 0,1,2,3,0,1,...: the first two of class 0 are images 0 and
   * 4, of class 2 images 2 and 6; file order kept, class 2 becomes 0. */
  assert_int_equal(data->n_samples, 4);
  assert_int_equal(data->n_outputs, 2);
  assert_sample(data, 0, 0, 1);
  assert_sample(data, 1, 2, 0);
  assert_sample(data, 2, 4, 1);
  assert_sample(data, 3, 6, 0);
  js_dataset_free(data);

  opt.per_class = 0; /* every sample of the two classes */
  assert_int_equal(js_dataset_idx(images, labels, &opt, &data), JS_OK);
  assert_int_equal(data->n_samples, 6);
  js_dataset_free(data);
}

static void test_bad_classes(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("badclass", N, N, 0, images, labels);
  js_dataset *data = NULL;
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  const int32_t outside[] = {1, 7}, twice[] = {1, 1};
  opt.classes = outside;
  opt.n_classes = 2;
  assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EINVAL, labels, "class 7",
                 NULL);
  opt.classes = twice;
  assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EINVAL, labels, "class 1",
                 NULL);
  opt.classes = NULL;
  opt.n_classes = 0;
  opt.per_class = 4; /* each class holds 3 */
  assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EINVAL, labels, "class 0",
                 "holds 3", NULL);
  assert_null(data);
}

static void test_wrong_magic(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("magic", N, N, 1, images, labels);
  js_dataset *data = NULL;
  /* The two files swapped: each is an IDX file of the other kind. */
  assert_failure(js_dataset_idx(labels, images, NULL, &data), JS_EFORMAT, images,
                 "0x00000803", "expected labels", NULL);
  size_t size;
  char plain[256];
  write_pair("magic-plain", N, N, 0, plain, labels);
  unsigned char *bytes = scratch_read(plain, &size);
  bytes[2] = 0x0D; /* float data */
  scratch_write(plain, bytes, size, 0);
  assert_failure(js_dataset_idx(plain, labels, NULL, &data), JS_EFORMAT, plain, "0x0d", NULL);
  bytes[0] = 'P'; /* not IDX at all */
  scratch_write(plain, bytes, size, 0);
  assert_failure(js_dataset_idx(plain, labels, NULL, &data), JS_EFORMAT, plain,
                 "not an IDX file", NULL);
  free(bytes);
  assert_null(data);
}

static void test_count_mismatch(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("count", N, N - 1, 1, images, labels);
  js_dataset *data = NULL;
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images, labels,
                 "12 images", "11 labels", NULL);
  assert_null(data);
}

static void test_truncated_and_trailing(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("cut", N, N, 0, images, labels);
  size_t size;
  unsigned char *bytes = scratch_read(images, &size);
  js_dataset *data = NULL;
  scratch_write(images, bytes, size - 4, 0); /* the last image loses 4 pixels */
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images,
                 "truncated", "record 11", NULL);
  scratch_write(images, bytes, 10, 0); /* inside the header */
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images, "header",
                 NULL);
  bytes = realloc(bytes, size + 5);
  assert_non_null(bytes);
  memset(bytes + size, 0, 5);
  scratch_write(images, bytes, size + 5, 0);
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images,
                 "5 bytes after", NULL);
  memset(bytes + 8, 0xFF, 8); /* rows = cols = 2^32 - 1: a record no size fits */
  scratch_write(images, bytes, size, 0);
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_ELIMIT, images, "exceed",
                 NULL);
  free(bytes);
  assert_null(data);
}

static void test_damaged_gzip(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("damaged", N, N, 1, images, labels);
  size_t size;
  unsigned char *bytes = scratch_read(images, &size);
  js_dataset *data = NULL;
  scratch_write(images, bytes, size / 2, 0); /* the stream stops half way */
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images,
                 "truncated gzip", NULL);
  bytes[size - 8] ^= 0xFF; /* the CRC-32 of the trailer */
  scratch_write(images, bytes, size, 0);
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EFORMAT, images,
                 "corrupted gzip", NULL);
  free(bytes);
  assert_null(data);
}

static void test_missing_file(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("missing", N, N, 0, images, labels);
  scratch_path(images, sizeof images, "no-such-file");
  js_dataset *data = NULL;
  assert_failure(js_dataset_idx(images, labels, NULL, &data), JS_EIO, images, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_and_gzip),     cmocka_unit_test(test_classes_and_per_class),
      cmocka_unit_test(test_bad_classes),        cmocka_unit_test(test_wrong_magic),
      cmocka_unit_test(test_count_mismatch),     cmocka_unit_test(test_truncated_and_trailing),
      cmocka_unit_test(test_damaged_gzip),       cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

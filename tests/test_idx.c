/* IDX (MNIST-format) reading: files written here with known contents,
 * plain and gzipped, and each kind of bad input. */
#include "scratch.h"
#include "shards.h"

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

/* An images file of n rows x cols images (magic 0x00000803). */
static void write_images(const char *path, int n, int rows, int cols, int gzip) {
  size_t pixels = (size_t)rows * (size_t)cols, size = 16 + (size_t)n * pixels;
  unsigned char *img = malloc(size);
  assert_non_null(img);
  put_u32(img, 0x803);
  put_u32(img + 4, (uint32_t)n);
  put_u32(img + 8, (uint32_t)rows);
  put_u32(img + 12, (uint32_t)cols);
  for (int i = 0; i < n; i++)
    for (size_t j = 0; j < pixels; j++)
      img[16 + i * pixels + j] = pixel(i, (int)j);
  scratch_write(path, img, size, gzip);
  free(img);
}

/* A labels file of n labels label(i) (magic 0x00000801). */
static void write_labels(const char *path, int n, int gzip) {
  unsigned char lab[8 + N];
  assert_true(n <= N);
  put_u32(lab, 0x801);
  put_u32(lab + 4, (uint32_t)n);
  for (int i = 0; i < n; i++)
    lab[8 + i] = (unsigned char)label(i);
  scratch_write(path, lab, 8 + (size_t)n, gzip);
}

/* An images file of n images and a labels file of n_labels labels,
 * written as `name`-images / -labels. */
static void write_pair(const char *name, int n, int n_labels, int gzip, char *images,
                       char *labels) {
  char file[64];
  snprintf(file, sizeof file, "%s-images", name);
  scratch_path(images, 256, file);
  snprintf(file, sizeof file, "%s-labels", name);
  scratch_path(labels, 256, file);
  write_images(images, n, ROWS, COLS, gzip);
  write_labels(labels, n_labels, gzip);
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

/* One process, and each of 3 parts whether or not the damage lies in its
 * rows: every part reads the file to its end. */
static void test_truncated_and_trailing(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("cut", N, N, 0, images, labels);
  size_t size;
  unsigned char *bytes = scratch_read(images, &size);
  bytes = realloc(bytes, size + 5);
  assert_non_null(bytes);
  memset(bytes + size, 0, 5);
  js_dataset *data = NULL;
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  for (opt.parts = 1; opt.parts <= 3; opt.parts += 2)
    for (opt.part = 0; opt.part < opt.parts; opt.part++) {
      scratch_write(images, bytes, size - 4, 0); /* the last image loses 4 pixels */
      assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EFORMAT, images,
                     "truncated", "record 11", NULL);
      scratch_write(images, bytes, 10, 0); /* inside the header */
      assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EFORMAT, images,
                     "header", NULL);
      scratch_write(images, bytes, size + 5, 0);
      assert_failure(js_dataset_idx(images, labels, &opt, &data), JS_EFORMAT, images,
                     "5 bytes after", NULL);
    }
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

/* Reads the kept samples in 1..max_parts parts, part by part, and checks
 * them against the whole read; a part left without a sample is refused. */
static void assert_parts(const char *images, const char *labels, js_idx_options opt,
                         int max_parts) {
  js_dataset *whole = NULL, *shards[N] = {NULL};
  opt.parts = 0;
  assert_int_equal(js_dataset_idx(images, labels, &opt, &whole), JS_OK);
  assert_true(max_parts <= N && max_parts <= whole->n_samples);
  for (int parts = 1; parts <= max_parts; parts++) {
    opt.parts = parts;
    for (opt.part = 0; opt.part < parts; opt.part++)
      assert_int_equal(js_dataset_idx(images, labels, &opt, &shards[opt.part]), JS_OK);
    assert_shards_equal(whole, shards, parts);
    for (int part = 0; part < parts; part++)
      js_dataset_free(shards[part]);
  }
  opt.parts = (int)whole->n_samples + 1;
  opt.part = opt.parts - 1; /* the one left without a sample */
  assert_failure(js_dataset_idx(images, labels, &opt, &shards[0]), JS_EINVAL, images,
                 "cannot be split", NULL);
  assert_null(shards[0]);
  js_dataset_free(whole);
}

/* Each part keeps its share of the *selected* samples, in their global
 * order: 12 samples in 1..12 parts (even and uneven ones), the 6 of two
 * classes in 1..6, the 4 of two classes at 2 a class in 1..4. */
static void test_shards_of_selection(void **state) {
  (void)state;
  char images[256], labels[256];
  write_pair("shards", N, N, 1, images, labels);
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  assert_parts(images, labels, opt, N);
  const int32_t even[] = {2, 0}, odd[] = {3, 1};
  opt.classes = even;
  opt.n_classes = 2;
  assert_parts(images, labels, opt, 6);
  /* The whole selection itself: images 0, 2, 4, ..., 10 (labels 0 and 2). */
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_idx(images, labels, &opt, &data), JS_OK);
  assert_int_equal(data->n_samples, 6);
  for (int i = 0; i < 6; i++)
    assert_sample(data, i, 2 * i, label(2 * i) == 2 ? 0 : 1);
  js_dataset_free(data);
  opt.classes = odd;
  opt.per_class = 2;
  assert_parts(images, labels, opt, 4);
}

/* Images far larger than the reader's chunks: 3 of 700 x 700 bytes, the
 * third across the first 1 MiB boundary of the stream, kept whole and in
 * parts, each pixel checked against the file's. */
static void test_records_across_chunks(void **state) {
  (void)state;
  enum { SIDE = 700, BIG = 3 };
  char images[256], labels[256];
  scratch_path(images, sizeof images, "big-images.gz");
  scratch_path(labels, sizeof labels, "big-labels.gz");
  write_images(images, BIG, SIDE, SIDE, 1);
  write_labels(labels, BIG, 1);
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  js_dataset *whole = NULL;
  assert_int_equal(js_dataset_idx(images, labels, &opt, &whole), JS_OK);
  for (int i = 0; i < BIG; i++)
    for (int j = 0; j < SIDE * SIDE; j++)
      assert_true(whole->x[(int64_t)i * SIDE * SIDE + j] == pixel(i, j) / 255.0);
  js_dataset_free(whole);
  assert_parts(images, labels, opt, BIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_and_gzip),     cmocka_unit_test(test_classes_and_per_class),
      cmocka_unit_test(test_bad_classes),        cmocka_unit_test(test_wrong_magic),
      cmocka_unit_test(test_count_mismatch),     cmocka_unit_test(test_truncated_and_trailing),
      cmocka_unit_test(test_damaged_gzip),       cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_shards_of_selection), cmocka_unit_test(test_records_across_chunks),
  };
  return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}

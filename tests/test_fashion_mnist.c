/* The real Fashion-MNIST files (Debian package dataset-fashion-mnist):
 * sizes, classes, and pixel sums computed here straight from the raw
 * bytes through zlib, which guard the decoding. Exits 77 (skipped) when
 * the package is not installed. */
#include "jacspec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <zlib.h>

enum { PIXELS = 784, HEADER = 16 };

static const char *train_images = JS_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz";
static const char *train_labels = JS_FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz";

/* Sum of the raw pixel bytes of one image, read directly from the file. */
static long raw_pixel_sum(int64_t image) {
  unsigned char bytes[PIXELS];
  gzFile f = gzopen(train_images, "rb");
  assert_non_null(f);
  assert_true(gzseek(f, HEADER + image * PIXELS, SEEK_SET) >= 0);
  assert_int_equal(gzread(f, bytes, PIXELS), PIXELS);
  gzclose(f);
  long sum = 0;
  for (int j = 0; j < PIXELS; j++)
    sum += bytes[j];
  return sum;
}

static int raw_label(int64_t image) {
  gzFile f = gzopen(train_labels, "rb");
  assert_non_null(f);
  assert_true(gzseek(f, 8 + image, SEEK_SET) >= 0);
  int label = gzgetc(f);
  gzclose(f);
  return label;
}

static double row_sum(const js_dataset *data, int64_t i) {
  double sum = 0;
  for (int64_t j = 0; j < data->dim; j++)
    sum += data->x[i * data->dim + j];
  return sum;
}

static void test_training_set(void **state) {
  (void)state;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_fashion_mnist("train", NULL, &data), JS_OK);
  assert_int_equal(data->n_samples, 60000);
  assert_int_equal(data->dim, PIXELS);
  assert_int_equal(data->n_outputs, 10);
  int64_t count[10] = {0};
  for (int64_t i = 0; i < data->n_samples; i++)
    count[data->labels[i]]++;
  for (int c = 0; c < 10; c++)
    assert_int_equal(count[c], 6000);
  assert_int_equal(data->labels[0], 9); /* the first training image: an ankle boot */
  const int64_t images[] = {0, 1, 12345, 59999};
  for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
    int64_t i = images[k];
    long raw = raw_pixel_sum(i);
    assert_true(raw > 0);
    assert_true(fabs(row_sum(data, i) * 255 - (double)raw) < 1e-9 * (double)raw);
    assert_int_equal(data->labels[i], raw_label(i));
  }
  /* Known values, from Python's gzip module on the Debian package's files:
   * byte sums of images 0, 1, 12345 and 59999 (labels 9, 0, 8, 5), and of
   * every pixel of the training set. */
  const long known[] = {76247, 84598, 97611, 16684};
  const int known_label[] = {9, 0, 8, 5};
  for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
    assert_true(fabs(row_sum(data, images[k]) * 255 - (double)known[k]) < 1e-6);
    assert_int_equal(data->labels[images[k]], known_label[k]);
  }
  long long total = 0;
  for (int64_t i = 0; i < data->n_samples * data->dim; i++)
    total += lround(data->x[i] * 255);
  assert_true(total == 3431114169LL);
  js_dataset_free(data);
}

static void test_test_set_and_classes(void **state) {
  (void)state;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_fashion_mnist("test", NULL, &data), JS_OK);
  assert_int_equal(data->n_samples, 10000);
  js_dataset_free(data);
  /* Class 9 first: image 0 (label 9) becomes sample 0 with class 0. */
  const int32_t classes[] = {9, 0, 1};
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  opt.classes = classes;
  opt.n_classes = 3;
  opt.per_class = 20;
  assert_int_equal(js_dataset_fashion_mnist("train", &opt, &data), JS_OK);
  assert_int_equal(data->n_samples, 60);
  assert_int_equal(data->n_outputs, 3);
  assert_int_equal(data->labels[0], 0);
  assert_true(fabs(row_sum(data, 0) * 255 - (double)raw_pixel_sum(0)) < 1e-6);
  js_dataset_free(data);
  assert_int_equal(js_dataset_fashion_mnist("validation", NULL, &data), JS_EINVAL);
}

int main(void) {
  if (access(train_images, R_OK) != 0) {
    printf("skipped: %s absent (apt-get install dataset-fashion-mnist)\n", train_images);
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_training_set),
      cmocka_unit_test(test_test_set_and_classes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

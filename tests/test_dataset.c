/* The js_dataset container: creation limits, one-hot targets checked
 * entry by entry, row scaling checked against norms summed here, and the
 * finiteness check naming the first bad entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <string.h>

static js_dataset *create_ok(int64_t n, int64_t d, int64_t k, int with_labels) {
  js_dataset *data = NULL;
  if (js_dataset_create(n, d, k, with_labels, &data))
    fail_msg("js_dataset_create: %s", js_last_error());
  return data;
}

static void test_create(void **state) {
  (void)state;
  js_dataset *data = create_ok(4, 3, 2, 1);
  assert_int_equal(data->n_samples, 4);
  assert_int_equal(data->dim, 3);
  assert_int_equal(data->n_outputs, 2);
  assert_non_null(data->labels);
  for (int i = 0; i < 12; i++)
    assert_true(data->x[i] == 0.0);
  for (int i = 0; i < 8; i++)
    assert_true(data->y[i] == 0.0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(data->labels[i], 0);
  js_dataset_free(data);
  data = create_ok(1, 1, 1, 0);
  assert_null(data->labels);
  js_dataset_free(data);
  js_dataset_free(NULL);
}

static void test_create_rejects(void **state) {
  (void)state;
  js_dataset *data = NULL;
  assert_failure(js_dataset_create(0, 3, 2, 0, &data), JS_EINVAL, "n_samples", NULL);
  assert_failure(js_dataset_create(3, 0, 2, 0, &data), JS_EINVAL, "dim", NULL);
  assert_failure(js_dataset_create(3, 2, -1, 0, &data), JS_EINVAL, "n_outputs", NULL);
  /* 2^21 x 2^21 = 2^42 entries; INT64_MAX x 2 overflows int64. */
  assert_failure(js_dataset_create(1 << 21, 1 << 21, 1, 0, &data), JS_ELIMIT, "2097152",
                 "limit", NULL);
  assert_failure(js_dataset_create(INT64_MAX, 2, 1, 0, &data), JS_ELIMIT, "limit", NULL);
  assert_failure(js_dataset_create(1 << 21, 1, 1 << 21, 0, &data), JS_ELIMIT, "targets",
                 NULL);
  assert_failure(js_dataset_create(3, 2, 1, 0, NULL), JS_EINVAL, NULL);
  assert_null(data);
}

static void test_one_hot(void **state) {
  (void)state;
  js_dataset *data = create_ok(4, 1, 3, 1);
  const int32_t labels[] = {2, 0, 1, 2};
  const double want[] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  memcpy(data->labels, labels, sizeof labels);
  data->y[0] = 5.0; /* overwritten */
  assert_int_equal(js_dataset_one_hot(data), JS_OK);
  assert_memory_equal(data->y, want, sizeof want);

  /* A bad label is named and y is left as it was. */
  data->labels[1] = 3;
  assert_failure(js_dataset_one_hot(data), JS_EINVAL, "label 3", "sample 1", "0..2", NULL);
  assert_memory_equal(data->y, want, sizeof want);
  data->labels[1] = -1;
  assert_failure(js_dataset_one_hot(data), JS_EINVAL, "label -1", "sample 1", NULL);
  js_dataset_free(data);

  data = create_ok(2, 1, 2, 0);
  assert_failure(js_dataset_one_hot(data), JS_EINVAL, "no labels", NULL);
  js_dataset_free(data);
}

static void test_normalize(void **state) {
  (void)state;
  enum { N = 5, D = 4 };
  js_dataset *data = create_ok(N, D, 1, 0);
  double before[N * D];
  for (int i = 0; i < N * D; i++)
    before[i] = data->x[i] = cos(3.0 * i) * pow(10.0, i % 7 - 3);
  assert_int_equal(js_dataset_normalize(data), JS_OK);
  for (int i = 0; i < N; i++) {
    double old_sq = 0.0, new_sq = 0.0;
    for (int j = 0; j < D; j++) {
      old_sq += before[i * D + j] * before[i * D + j];
      new_sq += data->x[i * D + j] * data->x[i * D + j];
    }
    assert_true(fabs(new_sq - 1.0) < 8 * D * 1e-16);
    /* Same direction: each entry is the old one over the old norm. */
    for (int j = 0; j < D; j++) {
      double want = before[i * D + j] / sqrt(old_sq);
      assert_true(fabs(data->x[i * D + j] - want) <= 4e-16 * fabs(want));
    }
  }
  js_dataset_free(data);

  /* (3, 4) -> (0.6, 0.8); a zero row is refused, leaving x untouched. */
  data = create_ok(3, 2, 1, 0);
  const double x[] = {3, 4, 0, 0, 1, 1};
  memcpy(data->x, x, sizeof x);
  assert_failure(js_dataset_normalize(data), JS_EINVAL, "row 1", "zero", NULL);
  assert_memory_equal(data->x, x, sizeof x);
  data->x[2] = -5.0;
  assert_int_equal(js_dataset_normalize(data), JS_OK);
  assert_true(fabs(data->x[0] - 0.6) < 1e-16 && fabs(data->x[1] - 0.8) < 1e-16);
  assert_true(data->x[2] == -1.0 && data->x[3] == 0.0);
  js_dataset_free(data);
}

/* Two channels of 2 x 3 pixels on 4 samples: the statistics against the
 * sums written out, the standardised channels at mean 0 and deviation 1,
 * a flat data set as one channel, and a constant channel refused. */
static void test_standardize(void **state) {
  (void)state;
  js_dataset *data;
  assert_int_equal(js_dataset_create(4, 12, 1, 0, &data), JS_OK);
  data->shape = (js_shape){3, {2, 2, 3}};
  for (int64_t i = 0; i < 4 * 12; i++)
    data->x[i] = (i % 12 < 6 ? 1.0 : -100.0) + sin(1.0 + (double)i) * (i % 12 < 6 ? 2 : 0.5);
  assert_int_equal(js_dataset_channels(data), 2);
  double mean[2], std[2];
  assert_int_equal(js_dataset_channel_stats(data, NULL, mean, std), JS_OK);
  for (int c = 0; c < 2; c++) {
    double sum = 0, dev = 0;
    for (int64_t i = 0; i < 4; i++)
      for (int64_t j = 0; j < 6; j++)
        sum += data->x[i * 12 + c * 6 + j];
    double want_mean = sum / 24;
    for (int64_t i = 0; i < 4; i++)
      for (int64_t j = 0; j < 6; j++)
        dev += pow(data->x[i * 12 + c * 6 + j] - want_mean, 2);
    assert_true(fabs(mean[c] - want_mean) <= 1e-14 * fabs(want_mean));
    assert_true(fabs(std[c] - sqrt(dev / 24)) <= 1e-14 * sqrt(dev / 24));
  }
  assert_int_equal(js_dataset_standardize(data, mean, std), JS_OK);
  double after_mean[2], after_std[2];
  assert_int_equal(js_dataset_channel_stats(data, NULL, after_mean, after_std), JS_OK);
  for (int c = 0; c < 2; c++) {
    assert_true(fabs(after_mean[c]) <= 1e-12); /* |mean| / std ~ 300: rounding */
    assert_true(fabs(after_std[c] - 1) <= 1e-12);
  }
  data->shape = (js_shape){0};
  assert_int_equal(js_dataset_channels(data), 1);
  for (int64_t j = 0; j < 4 * 12; j++)
    data->x[j] = 3.0;
  assert_int_equal(js_dataset_channel_stats(data, NULL, mean, std), JS_OK);
  assert_true(mean[0] == 3.0 && std[0] == 0.0);
  assert_int_equal(js_dataset_standardize(data, mean, std), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "constant channel"));
  js_dataset_free(data);
}

static void test_check_finite(void **state) {
  (void)state;
  js_dataset *data = create_ok(3, 4, 2, 0);
  for (int i = 0; i < 12; i++)
    data->x[i] = i - 5.5;
  assert_int_equal(js_dataset_check_finite(data, "train.npy"), JS_OK);

  /* The first bad entry in row-major order is named, with its array. */
  data->x[2 * 4 + 0] = -INFINITY;
  data->x[1 * 4 + 2] = NAN;
  assert_failure(js_dataset_check_finite(data, "train.npy"), JS_ENUMERIC, "train.npy",
                 "inputs x", "NaN", "row 1, column 2", NULL);
  data->x[1 * 4 + 2] = 0.0;
  assert_failure(js_dataset_check_finite(data, "train.npy"), JS_ENUMERIC, "-Inf",
                 "row 2, column 0", NULL);
  data->x[2 * 4 + 0] = 0.0;
  data->y[2 * 2 + 1] = INFINITY;
  assert_failure(js_dataset_check_finite(data, "gmm"), JS_ENUMERIC, "gmm", "targets y",
                 "+Inf", "row 2, output 1", NULL);
  data->y[2 * 2 + 1] = 1e308;
  assert_int_equal(js_dataset_check_finite(data, NULL), JS_OK);
  js_dataset_free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create),
      cmocka_unit_test(test_create_rejects),
      cmocka_unit_test(test_one_hot),
      cmocka_unit_test(test_normalize),
      cmocka_unit_test(test_standardize),
      cmocka_unit_test(test_check_finite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

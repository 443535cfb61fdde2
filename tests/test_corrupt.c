/* Label corruption: exactly round(rho n) labels change, each to another
 * class, the one-hot targets follow, the same seed repeats the draw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jacspec.h"
#include "scratch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static js_dataset *gmm(int64_t n, int64_t classes) {
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = n;
  opt.n_classes = classes;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_gmm(&opt, &data), JS_OK);
  return data;
}

static void test_exact_count_each_to_another_class(void **state) {
  (void)state;
  const double fractions[] = {0, 0.1, 0.25, 0.333, 0.5, 0.75, 1};
  for (int64_t classes = 2; classes <= 5; classes += 3) {
    for (size_t f = 0; f < sizeof fractions / sizeof fractions[0]; f++) {
      js_dataset *data = gmm(97, classes);
      int32_t *before = malloc(sizeof(int32_t) * 97);
      memcpy(before, data->labels, sizeof(int32_t) * 97);
      int64_t changed = -1;
      assert_int_equal(js_dataset_corrupt_labels(data, fractions[f], 5, &changed), JS_OK);
      int64_t want = (int64_t)floor(fractions[f] * 97 + 0.5);
      assert_int_equal(changed, want);
      int64_t differ = 0;
      for (int64_t i = 0; i < 97; i++) {
        differ += data->labels[i] != before[i];
        assert_true(data->labels[i] >= 0 && data->labels[i] < classes);
        for (int64_t l = 0; l < classes; l++)
          assert_true(data->y[i * classes + l] == (data->labels[i] == l));
      }
      assert_int_equal(differ, want);
      free(before);
      js_dataset_free(data);
    }
  }
}

/* Over many corrupted labels of class 0 (K = 4), each other class is drawn
 * about equally often: the new class is uniform over the other K - 1. */
static void test_new_class_uniform(void **state) {
  (void)state;
  js_dataset *data = gmm(6000, 4);
  int32_t *before = malloc(sizeof(int32_t) * 6000);
  memcpy(before, data->labels, sizeof(int32_t) * 6000);
  assert_int_equal(js_dataset_corrupt_labels(data, 1.0, 9, NULL), JS_OK);
  int64_t counts[4] = {0}, total = 0;
  for (int64_t i = 0; i < 6000; i++)
    if (before[i] == 0) {
      counts[data->labels[i]]++;
      total++;
    }
  assert_int_equal(counts[0], 0);
  for (int l = 1; l < 4; l++) /* binomial sd ~ sqrt(total 2/9) ~ 17 */
    assert_true(fabs((double)counts[l] - total / 3.0) < 100);
  free(before);
  js_dataset_free(data);
}

static void test_seeded(void **state) {
  (void)state;
  js_dataset *a = gmm(50, 3), *b = gmm(50, 3);
  assert_int_equal(js_dataset_corrupt_labels(a, 0.4, 2, NULL), JS_OK);
  assert_int_equal(js_dataset_corrupt_labels(b, 0.4, 2, NULL), JS_OK);
  assert_memory_equal(a->labels, b->labels, sizeof(int32_t) * 50);
  js_dataset_free(a);
  js_dataset_free(b);
}

static void test_bad_input(void **state) {
  (void)state;
  js_dataset *data = gmm(20, 3);
  assert_failure(js_dataset_corrupt_labels(data, 1.5, 1, NULL), JS_EINVAL, "[0, 1]", NULL);
  assert_failure(js_dataset_corrupt_labels(data, -0.1, 1, NULL), JS_EINVAL, "[0, 1]",
                 NULL);
  assert_failure(js_dataset_corrupt_labels(data, NAN, 1, NULL), JS_EINVAL, "[0, 1]", NULL);
  js_dataset_free(data);
  data = gmm(20, 1);
  assert_failure(js_dataset_corrupt_labels(data, 0.5, 1, NULL), JS_EINVAL, "other class",
                 NULL);
  assert_int_equal(js_dataset_corrupt_labels(data, 0.0, 1, NULL), JS_OK);
  js_dataset_free(data);
  js_dataset *real = NULL;
  assert_int_equal(js_dataset_create(5, 2, 1, 0, &real), JS_OK);
  assert_failure(js_dataset_corrupt_labels(real, 0.5, 1, NULL), JS_EINVAL, "no class labels",
                 NULL);
  js_dataset_free(real);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_count_each_to_another_class),
      cmocka_unit_test(test_new_class_uniform),
      cmocka_unit_test(test_seeded),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* js_dataset_shuffle: a permutation of the samples (x, y and labels move
 * together), the same for the same seed. */
#include "jacspec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

enum { N = 50, D = 3, K = 4 };

/* Sample i: x = (100 i, 100 i + 1, 100 i + 2), class i % K, one-hot y. */
static js_dataset *numbered(int with_labels) {
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_create(N, D, K, with_labels, &data), JS_OK);
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++)
      data->x[i * D + j] = 100 * i + j;
    data->y[i * K + i % K] = 1;
    if (with_labels)
      data->labels[i] = i % K;
  }
  return data;
}

/* The original index of each row, checking the row moved as a whole; the
 * indices must form a permutation. */
static void assert_permutation(const js_dataset *data, int *order) {
  int seen[N] = {0};
  for (int i = 0; i < N; i++) {
    int from = (int)(data->x[i * D] / 100);
    assert_in_range(from, 0, N - 1);
    assert_int_equal(seen[from]++, 0);
    for (int j = 0; j < D; j++)
      assert_true(data->x[i * D + j] == 100 * from + j);
    for (int l = 0; l < K; l++)
      assert_true(data->y[i * K + l] == (l == from % K));
    if (data->labels)
      assert_int_equal(data->labels[i], from % K);
    order[i] = from;
  }
}

static void test_permutation_reproducible(void **state) {
  (void)state;
  int first[N], again[N], other[N], identity = 1;
  js_dataset *a = numbered(1), *b = numbered(1), *c = numbered(0);
  assert_int_equal(js_dataset_shuffle(a, 7), JS_OK);
  assert_int_equal(js_dataset_shuffle(b, 7), JS_OK);
  assert_int_equal(js_dataset_shuffle(c, 8), JS_OK);
  assert_permutation(a, first);
  assert_permutation(b, again);
  assert_permutation(c, other);
  assert_memory_equal(first, again, sizeof first);
  assert_true(memcmp(first, other, sizeof first) != 0);
  for (int i = 0; i < N; i++)
    identity &= first[i] == i;
  assert_false(identity);
  js_dataset_free(a);
  js_dataset_free(b);
  js_dataset_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_permutation_reproducible),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Parity data: +-1 inputs, targets the product over the hidden subset,
 * checked against a brute-force search for the subset; reproducible. The
 * cross-predictability against its definition, E_{S,S'} (E_x chi_S(x)
 * chi_S'(x))^2 by enumeration of every pair of subsets and every x, and
 * against Pascal's triangle. */
#include "jacspec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

enum { N = 300, BITS = 8, DEGREE = 3 };

static js_dataset *parity_task(uint64_t task_seed, uint64_t seed, int64_t degree,
                               int64_t *subset) {
  js_parity_options opt;
  js_parity_options_init_defaults(&opt);
  opt.n_samples = N;
  opt.bits = BITS;
  opt.degree = degree;
  opt.task_seed = task_seed;
  opt.seed = seed;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_parity(&opt, subset, &data), JS_OK);
  assert_int_equal(data->n_samples, N);
  assert_int_equal(data->dim, BITS);
  assert_int_equal(data->n_outputs, 1);
  assert_null(data->labels);
  return data;
}

static js_dataset *parity(uint64_t seed, int64_t degree, int64_t *subset) {
  return parity_task(seed, seed, degree, subset);
}

/* Does y = prod_{j in mask} x_j hold for every sample? */
static int consistent(const js_dataset *data, unsigned mask) {
  for (int64_t i = 0; i < data->n_samples; i++) {
    double p = 1;
    for (int j = 0; j < BITS; j++)
      if (mask >> j & 1)
        p *= data->x[i * BITS + j];
    if (p != data->y[i])
      return 0;
  }
  return 1;
}

static void test_targets_are_the_parity(void **state) {
  (void)state;
  int64_t subset[DEGREE];
  js_dataset *data = parity(5, DEGREE, subset);
  for (int64_t i = 0; i < N * BITS; i++)
    assert_true(data->x[i] == 1.0 || data->x[i] == -1.0);
  for (int64_t i = 0; i < N; i++)
    assert_true(data->y[i] == 1.0 || data->y[i] == -1.0);
  unsigned mask = 0;
  for (int s = 0; s < DEGREE; s++) {
    assert_in_range(subset[s], s ? subset[s - 1] + 1 : 0, BITS - 1); /* ascending */
    mask |= 1u << subset[s];
  }
  /* Of all subsets of the coordinates, exactly the returned one explains
   * every target (300 samples leave no room for another). */
  for (unsigned other = 0; other < 1u << BITS; other++)
    assert_int_equal(consistent(data, other), other == mask);
  js_dataset_free(data);
}

static void test_reproducible(void **state) {
  (void)state;
  int64_t s1[DEGREE], s2[DEGREE];
  js_dataset *a = parity(11, DEGREE, s1), *b = parity(11, DEGREE, s2), *c = parity(12, DEGREE, NULL);
  assert_memory_equal(a->x, b->x, sizeof(double) * N * BITS);
  assert_memory_equal(a->y, b->y, sizeof(double) * N);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_true(memcmp(a->x, c->x, sizeof(double) * N * BITS) != 0);
  js_dataset_free(a);
  js_dataset_free(b);
  js_dataset_free(c);
}

/* task_seed draws S, seed the samples: a test set of the same parity is
 * another seed; another task_seed (among a few) picks another S. */
static void test_task_seed(void **state) {
  (void)state;
  int64_t s1[DEGREE], s2[DEGREE], s3[DEGREE];
  js_dataset *a = parity_task(4, 1, DEGREE, s1), *b = parity_task(4, 2, DEGREE, s2);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_true(memcmp(a->x, b->x, sizeof(double) * N * BITS) != 0);
  int other_subset = 0;
  for (uint64_t task = 5; task < 10 && !other_subset; task++) {
    js_dataset_free(parity_task(task, 1, DEGREE, s3));
    other_subset = memcmp(s1, s3, sizeof s1) != 0;
  }
  assert_true(other_subset);
  js_dataset_free(a);
  js_dataset_free(b);
}

static void test_degree_extremes(void **state) {
  (void)state;
  js_dataset *none = parity(3, 0, NULL), *all = parity(3, BITS, NULL);
  assert_true(consistent(none, 0));
  assert_true(consistent(all, (1u << BITS) - 1));
  js_dataset_free(none);
  js_dataset_free(all);
}

static void test_bad_sizes(void **state) {
  (void)state;
  js_parity_options opt;
  js_parity_options_init_defaults(&opt);
  js_dataset *data = NULL;
  opt.degree = opt.bits + 1;
  assert_int_equal(js_dataset_parity(&opt, NULL, &data), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "degree"));
  opt.degree = -1;
  assert_int_equal(js_dataset_parity(&opt, NULL, &data), JS_EINVAL);
  js_parity_options_init_defaults(&opt);
  opt.n_samples = 0;
  assert_int_equal(js_dataset_parity(&opt, NULL, &data), JS_EINVAL);
  js_parity_options_init_defaults(&opt);
  opt.bits = 0;
  assert_int_equal(js_dataset_parity(&opt, NULL, &data), JS_EINVAL);
  assert_null(data);
}

/* CP by its definition on {-1, +1}^bits: subsets as bit masks of
 * `degree` bits, chi_S(x) = (-1)^popcount(S & x) for x read as a mask of
 * the coordinates equal to -1. */
static double cross_predictability_by_enumeration(int bits, int degree) {
  double sum = 0;
  int pairs = 0;
  for (unsigned s = 0; s < 1u << bits; s++)
    for (unsigned t = 0; t < 1u << bits; t++) {
      if (__builtin_popcount(s) != degree || __builtin_popcount(t) != degree)
        continue;
      double mean = 0;
      for (unsigned x = 0; x < 1u << bits; x++)
        mean += (__builtin_popcount((s ^ t) & x) % 2 ? -1.0 : 1.0) / (double)(1u << bits);
      sum += mean * mean;
      pairs++;
    }
  return sum / pairs;
}

static void test_cross_predictability(void **state) {
  (void)state;
  for (int bits = 1; bits <= 7; bits++)
    for (int degree = 0; degree <= bits; degree++) {
      double want = cross_predictability_by_enumeration(bits, degree);
      assert_true(fabs(js_parity_cross_predictability(bits, degree) - want) <= 1e-15);
    }
  /* C(n, k) by Pascal's triangle up to n = 60 (exact below 2^53, and
   * rounded alike above). */
  static double row[61];
  row[0] = 1;
  for (int n = 1; n <= 60; n++) {
    for (int k = n; k > 0; k--)
      row[k] += row[k - 1];
    for (int k = 0; k <= n; k++)
      assert_true(fabs(js_parity_cross_predictability(n, k) * row[k] - 1) <= 1e-14);
  }
  assert_true(isnan(js_parity_cross_predictability(5, 6)));
  assert_true(isnan(js_parity_cross_predictability(5, -1)));
  assert_true(isnan(js_parity_cross_predictability(0, 0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_targets_are_the_parity), cmocka_unit_test(test_reproducible),
      cmocka_unit_test(test_task_seed), cmocka_unit_test(test_degree_extremes),
      cmocka_unit_test(test_bad_sizes), cmocka_unit_test(test_cross_predictability),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

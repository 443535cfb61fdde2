/* The Gaussian mixture of Definition 3.4. With sigma = 0 every sample is
 * its centre, so the centres can be read off the data and checked (unit
 * norm, separation, one class each); with sigma > 0 the distance of each
 * sample to the nearest of those centres must average about sigma. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jacspec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static js_dataset *gmm_ok(const js_gmm_options *opt) {
  js_dataset *data = NULL;
  if (js_dataset_gmm(opt, &data))
    fail_msg("js_dataset_gmm: %s", js_last_error());
  assert_non_null(data);
  assert_int_equal(data->n_samples, opt->n_samples);
  assert_int_equal(data->dim, opt->dim);
  assert_int_equal(data->n_outputs, opt->n_classes);
  assert_non_null(data->labels);
  return data;
}

static double distance(const double *a, const double *b, int64_t dim) {
  double s = 0.0;
  for (int64_t j = 0; j < dim; j++)
    s += (a[j] - b[j]) * (a[j] - b[j]);
  return sqrt(s);
}

/* The distinct rows of x (sigma = 0: the centres used), at most max_rows,
 * with the label each carries (which must never vary). */
static int64_t distinct_rows(const js_dataset *data, double *rows, int32_t *labels,
                             int64_t max_rows) {
  int64_t count = 0, d = data->dim;
  for (int64_t i = 0; i < data->n_samples; i++) {
    const double *x = data->x + i * d;
    int64_t r = 0;
    while (r < count && memcmp(rows + r * d, x, sizeof(double) * (size_t)d) != 0)
      r++;
    if (r == count) {
      assert_true(count < max_rows);
      memcpy(rows + r * d, x, sizeof(double) * (size_t)d);
      labels[count++] = data->labels[i];
    }
    assert_int_equal(labels[r], data->labels[i]);
  }
  return count;
}

static void test_defaults(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  assert_int_equal(opt.n_samples, 1000);
  assert_int_equal(opt.n_classes, 3);
  assert_int_equal(opt.n_clusters, 2);
  assert_int_equal(opt.dim, 20);
  assert_true(opt.sigma == 0.1 && opt.separation == 0.5);
  assert_int_equal(opt.seed, 1);
  assert_int_equal(opt.task_seed, 1);
  js_dataset_free(gmm_ok(&opt));
}

static void test_reproducible(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 200;
  js_dataset *a = gmm_ok(&opt), *b = gmm_ok(&opt);
  assert_memory_equal(a->x, b->x, sizeof(double) * 200 * 20);
  assert_memory_equal(a->labels, b->labels, sizeof(int32_t) * 200);
  opt.seed = 2;
  js_dataset *c = gmm_ok(&opt);
  assert_memory_not_equal(a->x, c->x, sizeof(double) * 200 * 20);
  js_dataset_free(a);
  js_dataset_free(b);
  js_dataset_free(c);
}

/* Labels in range, y their one-hot code, classes about equally frequent
 * (n/K = 1000 each; a binomial standard deviation is about 26). */
static void test_labels_and_targets(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 3000;
  js_dataset *data = gmm_ok(&opt);
  int64_t count[3] = {0, 0, 0};
  for (int64_t i = 0; i < 3000; i++) {
    int32_t c = data->labels[i];
    assert_true(c >= 0 && c < 3);
    count[c]++;
    for (int l = 0; l < 3; l++)
      assert_true(data->y[i * 3 + l] == (c == l ? 1.0 : 0.0));
  }
  for (int c = 0; c < 3; c++)
    assert_true(count[c] > 1000 - 150 && count[c] < 1000 + 150);
  js_dataset_free(data);
}

/* sigma = 0: each sample is exactly one of the KC centres; they are unit
 * vectors pairwise >= sep apart, C of them in each class. */
static void check_centres(int64_t n_classes, int64_t n_clusters, int64_t dim, double sep) {
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 600;
  opt.n_classes = n_classes;
  opt.n_clusters = n_clusters;
  opt.dim = dim;
  opt.sigma = 0.0;
  opt.separation = sep;
  js_dataset *data = gmm_ok(&opt);
  int64_t kc = n_classes * n_clusters;
  double *centres = calloc((size_t)(kc * dim), sizeof(double));
  int32_t *labels = calloc((size_t)kc, sizeof(int32_t));
  assert_non_null(centres);
  assert_non_null(labels);
  /* With 600 draws among kc <= 12 clusters, every cluster occurs. */
  assert_int_equal(distinct_rows(data, centres, labels, kc), kc);
  int64_t per_class[16] = {0};
  for (int64_t a = 0; a < kc; a++) {
    const double zero[64] = {0};
    assert_true(fabs(distance(centres + a * dim, zero, dim) - 1.0) < 1e-14);
    for (int64_t b = 0; b < a; b++)
      assert_true(distance(centres + a * dim, centres + b * dim, dim) >= sep - 1e-14);
    per_class[labels[a]]++;
  }
  for (int64_t c = 0; c < n_classes; c++)
    assert_int_equal(per_class[c], n_clusters);
  js_dataset_free(data);
  free(centres);
  free(labels);
}

static void test_centres(void **state) {
  (void)state;
  check_centres(3, 2, 20, 0.5);
  check_centres(4, 3, 10, 1.0);
  check_centres(2, 1, 1, 2.0); /* the only way: +1 and -1 */
  check_centres(3, 2, 5, 0.0);
}

/* The noise N(0, sigma^2/d I) has E||noise|| = sigma sqrt(2/d)
 * Gamma((d+1)/2) / Gamma(d/2), 0.9876 sigma for d = 20. The centres are
 * drawn from task_seed alone, so a sigma = 0 run shows them. */
static void test_noise_scale(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 2000;
  opt.sigma = 0.0;
  js_dataset *exact = gmm_ok(&opt);
  double centres[6 * 20];
  int32_t labels[6];
  assert_int_equal(distinct_rows(exact, centres, labels, 6), 6);
  opt.sigma = 0.1;
  js_dataset *noisy = gmm_ok(&opt);
  double total = 0.0;
  for (int64_t i = 0; i < 2000; i++) {
    int64_t nearest = 0;
    double best = INFINITY;
    for (int64_t c = 0; c < 6; c++) {
      double dist = distance(noisy->x + i * 20, centres + c * 20, 20);
      if (dist < best) {
        best = dist;
        nearest = c;
      }
    }
    /* Noise ~0.1 against a separation of 0.5: the nearest centre is the
     * sample's own, so it carries the sample's class. */
    assert_int_equal(labels[nearest], noisy->labels[i]);
    total += best;
  }
  double want = 0.1 * sqrt(2.0 / 20) * exp(lgamma(10.5) - lgamma(10.0));
  assert_true(fabs(total / 2000 - want) < 0.05 * want);
  js_dataset_free(exact);
  js_dataset_free(noisy);
}

/* True when every row of a (n_rows x dim) is a row of b. */
static int same_rows(const double *a, const double *b, int64_t n_rows, int64_t dim) {
  for (int64_t r = 0; r < n_rows; r++) {
    int64_t q = 0;
    while (q < n_rows && memcmp(a + r * dim, b + q * dim, sizeof(double) * (size_t)dim))
      q++;
    if (q == n_rows)
      return 0;
  }
  return 1;
}

/* seed draws the samples, task_seed the centres: another seed gives new
 * samples of the same mixture (a test set), another task_seed new centres. */
static void test_task_seed(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.n_samples = 600;
  opt.sigma = 0.0;
  double centres[3][6 * 20];
  int32_t labels[3][6];
  js_dataset *data[3];
  for (int run = 0; run < 3; run++) {
    opt.seed = run == 1 ? 7 : 1;
    opt.task_seed = run == 2 ? 7 : 1;
    data[run] = gmm_ok(&opt);
    assert_int_equal(distinct_rows(data[run], centres[run], labels[run], 6), 6);
  }
  assert_memory_not_equal(data[0]->labels, data[1]->labels, sizeof(int32_t) * 600);
  assert_true(same_rows(centres[0], centres[1], 6, 20));
  assert_false(same_rows(centres[0], centres[2], 6, 20));
  for (int run = 0; run < 3; run++)
    js_dataset_free(data[run]);
}

static void check_rejected(const js_gmm_options *opt, const char *word) {
  js_dataset *data = NULL;
  int rc = js_dataset_gmm(opt, &data);
  if (rc != JS_EINVAL || !strstr(js_last_error(), word))
    fail_msg("status %d, message '%s', expected JS_EINVAL naming '%s'", rc, js_last_error(),
             word);
  assert_null(data);
}

static void test_bad_options(void **state) {
  (void)state;
  js_gmm_options good, opt;
  js_gmm_options_init_defaults(&good);
  opt = good, opt.n_samples = 0, check_rejected(&opt, "n_samples");
  opt = good, opt.n_classes = 0, check_rejected(&opt, "n_classes");
  opt = good, opt.n_clusters = -2, check_rejected(&opt, "n_clusters");
  opt = good, opt.dim = 0, check_rejected(&opt, "dim");
  opt = good, opt.sigma = -0.1, check_rejected(&opt, "sigma");
  opt = good, opt.sigma = NAN, check_rejected(&opt, "sigma");
  opt = good, opt.sigma = INFINITY, check_rejected(&opt, "sigma");
  opt = good, opt.separation = -0.1, check_rejected(&opt, "separation");
  opt = good, opt.separation = 2.5, check_rejected(&opt, "separation");
  opt = good, opt.separation = NAN, check_rejected(&opt, "separation");
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_gmm(NULL, &data), JS_EINVAL);
  assert_int_equal(js_dataset_gmm(&good, NULL), JS_EINVAL);
}

/* Six unit "vectors" of R^1 (only +1 and -1 exist) cannot be 1.5 apart:
 * an error saying so, not an endless search. */
static void test_impossible_separation(void **state) {
  (void)state;
  js_gmm_options opt;
  js_gmm_options_init_defaults(&opt);
  opt.dim = 1;
  opt.separation = 1.5;
  check_rejected(&opt, "do not fit in dimension 1");
  check_rejected(&opt, "lower sep");
  opt.dim = 2;
  opt.n_classes = 10;
  opt.separation = 1.9;
  check_rejected(&opt, "20 unit-norm cluster centres");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_reproducible),
      cmocka_unit_test(test_labels_and_targets),
      cmocka_unit_test(test_centres),
      cmocka_unit_test(test_noise_scale),
      cmocka_unit_test(test_task_seed),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_impossible_separation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

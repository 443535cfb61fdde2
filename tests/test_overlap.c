/* Principal angles and the overlap of two information spaces against
 * spaces built with known angles: a space against itself (overlap 1,
 * angles 0), against a rotation of it by given angles in orthogonal
 * planes (the angles come back, overlap = mean cos^2), inside a larger
 * space (overlap 1), and against uniformly random spaces (overlap about
 * r / m on average: E ||U_a^T U_b||_F^2 = r^2 / m); a basis that is not
 * orthonormal against the orthonormal one of its span.
 *
 * Letters: m = nK rows of the spaces, r their rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rng.h"
#include "jacspec.h"
#include "orthonormal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A space of rank r whose left vectors are the r columns of u (m x r,
 * column after column); singular values r, r-1, ..., 1 and right vectors
 * e_s (p = m; only the left vectors matter here). */
static js_space *space_of(const double *u, int64_t m, int64_t r) {
  double *sigma = calloc((size_t)r, sizeof *sigma), *v = calloc((size_t)(m * r), sizeof *v);
  assert_non_null(sigma);
  assert_non_null(v);
  for (int64_t s = 0; s < r; s++) {
    sigma[s] = (double)(r - s);
    v[s * m + s] = 1;
  }
  js_svds_result res = {.rank = r, .requested = r, .rows = m, .local_rows = m, .cols = m,
                        .sigma = sigma,
                        .u = (double *)u, .v = v};
  js_space *sp = NULL;
  assert_int_equal(js_space_create(&res, r, 0, &sp), JS_OK);
  free(sigma);
  free(v);
  return sp;
}

/* out (m x k) = q (m x m, column-major) times the k columns of c. */
static void rotate(const double *q, int64_t m, const double *c, int64_t k, double *out) {
  memset(out, 0, sizeof(double) * (size_t)(m * k));
  for (int64_t s = 0; s < k; s++)
    for (int64_t j = 0; j < m; j++)
      for (int64_t i = 0; i < m; i++)
        out[s * m + i] += q[j * m + i] * c[s * m + j];
}

static void test_self_and_known_angles(void **state) {
  (void)state;
  enum { m = 40, r = 4 };
  const double want[r] = {0.1, 0.4, 0.9, 1.3}; /* radians, ascending */
  double ca[m * r] = {0}, cb[m * r] = {0}, ua[m * r], ub[m * r];
  /* I_a = span(e_1..e_r), I_b = span(cos t_s e_s + sin t_s e_{r+s}),
   * both turned by one random rotation q of R^m. */
  for (int64_t s = 0; s < r; s++) {
    ca[s * m + s] = 1;
    cb[s * m + s] = cos(want[r - 1 - s]); /* the angles in another order */
    cb[s * m + r + s] = sin(want[r - 1 - s]);
  }
  js_rng rng;
  js_rng_seed(&rng, 3);
  double *q = orthonormal(m, m, &rng);
  rotate(q, m, ca, r, ua);
  rotate(q, m, cb, r, ub);
  js_space *a = space_of(ua, m, r), *b = space_of(ub, m, r);
  double angles[r], overlap;
  assert_int_equal(js_space_overlap(a, a, angles, &overlap), JS_OK);
  assert_true(fabs(overlap - 1) <= 1e-13);
  for (int s = 0; s < r; s++) /* acos near 1 turns eps into sqrt(eps) */
    assert_true(angles[s] >= 0 && angles[s] <= 1e-7);
  assert_int_equal(js_space_overlap(a, b, angles, &overlap), JS_OK);
  double mean_cos2 = 0;
  for (int s = 0; s < r; s++) {
    assert_true(fabs(angles[s] - want[s]) <= 1e-12);
    mean_cos2 += cos(want[s]) * cos(want[s]) / r;
  }
  assert_true(fabs(overlap - mean_cos2) <= 1e-13);
  /* Symmetric in a and b; NULL outputs are allowed. */
  double back;
  assert_int_equal(js_space_overlap(b, a, NULL, &back), JS_OK);
  assert_true(fabs(back - overlap) <= 1e-13);
  assert_int_equal(js_space_overlap(b, a, angles, NULL), JS_OK);
  js_space_free(a);
  js_space_free(b);
  free(q);
}

static void test_subspace_and_bad_arguments(void **state) {
  (void)state;
  enum { m = 30 };
  js_rng rng;
  js_rng_seed(&rng, 5);
  double *q = orthonormal(m, 6, &rng);
  js_space *small = space_of(q, m, 2), *large = space_of(q, m, 6);
  double angles[2], overlap;
  /* The first 2 columns span a subspace of the 6: overlap 1, 2 angles 0. */
  assert_int_equal(js_space_overlap(large, small, angles, &overlap), JS_OK);
  assert_true(fabs(overlap - 1) <= 1e-13 && angles[0] <= 1e-7 && angles[1] <= 1e-7);
  double *other = orthonormal(m + 1, 2, &rng);
  js_space *wrong = space_of(other, m + 1, 2);
  assert_int_equal(js_space_overlap(small, wrong, angles, &overlap), JS_EINVAL);
  assert_int_equal(js_space_overlap(NULL, small, angles, &overlap), JS_EINVAL);
  js_space_free(small);
  js_space_free(large);
  js_space_free(wrong);
  free(q);
  free(other);
}

/* Uniformly random r-dimensional spaces of R^m (the Q of Gaussian
 * matrices): E ||U_a^T U_b||_F^2 = r^2 / m, so the overlap averages r / m.
 * One draw has a standard deviation of about sqrt(2) / m (r^2 entries of
 * variance 1 / m^2 each, squared), the mean of 20 about 0.32 / m: 6 % of
 * r / m for r = 5, m = 200; accepted within 25 %. */
static void test_random_spaces(void **state) {
  (void)state;
  enum { m = 200, r = 5, draws = 20 };
  js_rng rng;
  js_rng_seed(&rng, 11);
  double mean = 0;
  for (int k = 0; k < draws; k++) {
    double *ua = orthonormal(m, r, &rng), *ub = orthonormal(m, r, &rng), overlap;
    js_space *a = space_of(ua, m, r), *b = space_of(ub, m, r);
    assert_int_equal(js_space_overlap(a, b, NULL, &overlap), JS_OK);
    mean += overlap / draws;
    js_space_free(a);
    js_space_free(b);
    free(ua);
    free(ub);
  }
  double want = (double)r / m;
  print_message("mean overlap of %d pairs of random %d-dimensional spaces of R^%d: %.5f "
                "(r / m = %.5f)\n", draws, r, m, mean, want);
  assert_true(fabs(mean - want) <= 0.25 * want);
}

/* A basis that is not orthonormal, B = Q_b C with C invertible (upper
 * triangular with a large spread, and a column shuffle), spans what Q_b
 * spans: the same angles as the space of Q_b. Dependent columns, a wrong
 * row count and a NaN are refused. */
static void test_basis_not_orthonormal(void **state) {
  (void)state;
  enum { m = 25, r = 3, rb = 4 };
  js_rng rng;
  js_rng_seed(&rng, 7);
  double *qa = orthonormal(m, r, &rng), *qb = orthonormal(m, rb, &rng);
  js_space *a = space_of(qa, m, r), *b = space_of(qb, m, rb);
  const double c[rb * rb] = {/* column after column; column 0 mixes all of Q_b */
                             3, -1, 2, 1e3, 0, 0, 5e-3, 0, 0, 2, 0, 0, 7, 0.5, 0, 0};
  double basis[m * rb] = {0};
  for (int s = 0; s < rb; s++)
    for (int t = 0; t < rb; t++)
      for (int i = 0; i < m; i++)
        basis[s * m + i] += qb[t * m + i] * c[s * rb + t];
  double want[r], got[r], want_overlap, overlap;
  assert_int_equal(js_space_overlap(a, b, want, &want_overlap), JS_OK);
  assert_int_equal(js_space_overlap_basis(a, m, rb, basis, got, &overlap), JS_OK);
  assert_true(fabs(overlap - want_overlap) <= 1e-13);
  for (int s = 0; s < r; s++)
    assert_true(fabs(got[s] - want[s]) <= 1e-10);
  /* Its own basis: overlap 1. */
  assert_int_equal(js_space_overlap_basis(b, m, rb, basis, NULL, &overlap), JS_OK);
  assert_true(fabs(overlap - 1) <= 1e-13);
  double dependent[m * rb];
  memcpy(dependent, basis, sizeof dependent);
  for (int i = 0; i < m; i++) /* column 2 = column 0 - 2 column 1 */
    dependent[2 * m + i] = basis[i] - 2 * basis[m + i];
  assert_int_equal(js_space_overlap_basis(a, m, rb, dependent, got, &overlap), JS_EINVAL);
  assert_int_equal(js_space_overlap_basis(a, m - 1, rb, basis, got, &overlap), JS_EINVAL);
  assert_int_equal(js_space_overlap_basis(a, m, 0, basis, got, &overlap), JS_EINVAL);
  assert_int_equal(js_space_overlap_basis(a, m, rb, NULL, got, &overlap), JS_EINVAL);
  basis[m + 3] = NAN;
  assert_int_equal(js_space_overlap_basis(a, m, rb, basis, got, &overlap), JS_EINVAL);
  js_space_free(a);
  js_space_free(b);
  free(qa);
  free(qb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_self_and_known_angles),
      cmocka_unit_test(test_subspace_and_bad_arguments),
      cmocka_unit_test(test_random_spaces),
      cmocka_unit_test(test_basis_not_orthonormal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

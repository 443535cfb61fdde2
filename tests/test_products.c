/* The products' execution choices do not change their results: the
 * activation cache (filled, hit, refused by its limit, invalidated when the
 * weights or the inputs change), batch sizes, block sizes and thread
 * counts, all against one plain configuration (no cache, one batch, one
 * thread) that test_net checks against the explicit J. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/footprint.h"
#include "model/net.h"
#include "reference_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Large enough that the elementwise loops run on several threads
 * (n x width >= 16384) and the GEMMs are blocked. */
#define N_SAMPLES 300
#define DIM 20
#define N_OUT 4
/* Single precision: the tolerance the header documents for products. The
 * float rounding of each of the O(m) terms of a dot product gives a
 * relative error near sqrt(m) 6e-8; 1e-5 leaves a margin for the depth. */
#define SINGLE_TOL 1e-5
#define TOL 1e-12

static js_net_options options(uint32_t trained, int64_t batch, size_t cache_limit) {
  js_net_options opt;
  js_net_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths[0] = DIM;
  opt.widths[1] = 64;
  opt.widths[2] = 48;
  opt.widths[3] = N_OUT;
  opt.trained = trained;
  opt.batch_size = batch;
  opt.cache_limit = cache_limit;
  opt.seed = 5;
  return opt;
}

static js_net *make_net(const js_net_options *opt) {
  js_net *net = NULL;
  assert_int_equal(js_net_create(opt, &net), JS_OK);
  return net;
}

/* J v and J^T u of a block of b vectors. */
typedef struct products {
  double *jv, *g;
} products;

static products compute(js_net *net, const double *x, const double *v, const double *u,
                        int64_t b) {
  int64_t p = js_net_n_params(net);
  products out = {calloc((size_t)(N_SAMPLES * N_OUT * b), sizeof(double)),
                  calloc((size_t)(p * b), sizeof(double))};
  assert_non_null(out.jv);
  assert_non_null(out.g);
  assert_int_equal(js_net_jvp(net, x, N_SAMPLES, v, b, out.jv), JS_OK);
  assert_int_equal(js_net_vjp(net, x, N_SAMPLES, u, b, out.g), JS_OK);
  return out;
}

static void expect_close(const products *got, const products *want, int64_t p, int64_t b,
                         double tol, const char *label) {
  double e_jv = ref_relative_error(got->jv, want->jv, N_SAMPLES * N_OUT * b);
  double e_g = ref_relative_error(got->g, want->g, p * b);
  if (!(e_jv <= tol && e_g <= tol)) {
    print_error("%s: relative error J v %.3g, J^T u %.3g (> %g)\n", label, e_jv, e_g, tol);
    fail();
  }
}

static void expect_same(const products *got, const products *want, int64_t p, int64_t b,
                        const char *label) {
  expect_close(got, want, p, b, TOL, label);
}

static void products_free(products *pr) {
  free(pr->jv);
  free(pr->g);
}

/* Every (cache, batch, block, threads) combination, twice on one network
 * (the second call hits the cache the first filled), against the plain
 * configuration. */
static void test_execution_choices_agree(void **state) {
  (void)state;
  const uint32_t trained_sets[] = {1u, 2u, 7u};
  const int64_t batches[] = {1, 7, 0}, blocks[] = {1, 5};
  double *x = malloc(sizeof(double) * N_SAMPLES * DIM);
  ref_fill_normal(x, N_SAMPLES * DIM, 11);
  for (int it = 0; it < 3; it++) {
    js_net_options plain = options(trained_sets[it], N_SAMPLES, 0);
    js_net *ref = make_net(&plain);
    int64_t p = js_net_n_params(ref);
    for (int ik = 0; ik < 2; ik++) {
      int64_t b = blocks[ik];
      double *v = malloc(sizeof(double) * (size_t)(p * b));
      double *u = malloc(sizeof(double) * (size_t)(N_SAMPLES * N_OUT * b));
      ref_fill_normal(v, p * b, 3);
      ref_fill_normal(u, N_SAMPLES * N_OUT * b, 4);
      assert_int_equal(js_set_threads(1), 1);
      products want = compute(ref, x, v, u, b);
      for (int threads = 1; threads <= 2; threads++) {
        int used = js_set_threads(threads);
        assert_true(used >= 1 && used <= threads);
        for (int cached = 0; cached <= 1; cached++)
          for (int ib = 0; ib < 3; ib++) {
            js_net_options opt = options(trained_sets[it], batches[ib],
                                         cached ? (size_t)1 << 30 : 0);
            js_net *net = make_net(&opt);
            for (int call = 0; call < 2; call++) {
              char label[160];
              snprintf(label, sizeof label,
                       "trained 0x%x, block %lld, %d threads, cache %d, batch %lld, call %d",
                       trained_sets[it], (long long)b, used, cached,
                       (long long)batches[ib], call);
              products got = compute(net, x, v, u, b);
              expect_same(&got, &want, p, b, label);
              products_free(&got);
            }
            /* The cache was used exactly when allowed. */
            assert_int_equal(net->cache.valid, cached);
            js_net_free(net);
          }
      }
      products_free(&want);
      free(v);
      free(u);
    }
    js_net_free(ref);
  }
  js_set_threads(0);
  free(x);
}

/* After js_net_set_params (and after writing through js_net_weights) the
 * products follow the new weights: a stale cache would give the old J. */
static void test_cache_follows_weights(void **state) {
  (void)state;
  double *x = malloc(sizeof(double) * N_SAMPLES * DIM);
  ref_fill_normal(x, N_SAMPLES * DIM, 12);
  js_net_options opt = options(3u, 0, (size_t)1 << 30);
  js_net *net = make_net(&opt);
  js_net_options plain = options(3u, 0, 0);
  js_net *fresh = make_net(&plain);
  int64_t p = js_net_n_params(net);
  double *theta = malloc(sizeof(double) * (size_t)p);
  double *v = malloc(sizeof(double) * (size_t)p);
  double *u = malloc(sizeof(double) * N_SAMPLES * N_OUT);
  ref_fill_normal(v, p, 5);
  ref_fill_normal(u, N_SAMPLES * N_OUT, 6);
  products before = compute(net, x, v, u, 1); /* fills the cache */
  assert_true(net->cache.valid);

  js_net_get_params(net, theta);
  for (int64_t i = 0; i < p; i++)
    theta[i] *= 1.5;
  js_net_set_params(net, theta);
  js_net_set_params(fresh, theta);
  products got = compute(net, x, v, u, 1), want = compute(fresh, x, v, u, 1);
  expect_same(&got, &want, p, 1, "after js_net_set_params");
  assert_true(ref_relative_error(got.jv, before.jv, N_SAMPLES * N_OUT) > 1e-3);

  /* Writing through js_net_weights a layer that is cached but not trained
   * (W2 with only W1 trained: h_2 depends on it) changes J but not theta; in
   * single precision it also makes the float copy of the weights stale. */
  for (int single = 0; single <= 1; single++) {
    products_free(&got);
    products_free(&want);
    products_free(&before);
    js_net_free(net);
    js_net_free(fresh);
    js_precision precision = single ? JS_PRECISION_SINGLE : JS_PRECISION_DOUBLE;
    opt = options(1u, 0, (size_t)1 << 30);
    plain = options(1u, 0, 0);
    opt.precision = plain.precision = precision;
    net = make_net(&opt);
    fresh = make_net(&plain);
    p = js_net_n_params(net);
    before = compute(net, x, v, u, 1); /* fills the cache and the float copy */
    assert_true(net->cache.valid);
    double *w2 = js_net_weights(net, 2);
    for (int64_t i = 0; i < 48 * 64; i++)
      w2[i] = -w2[i] * 2.0;
    memcpy(js_net_weights(fresh, 2), w2, sizeof(double) * 48 * 64);
    got = compute(net, x, v, u, 1);
    want = compute(fresh, x, v, u, 1);
    expect_close(&got, &want, p, 1, single ? SINGLE_TOL : TOL,
                 "after writing W2 through js_net_weights");
    assert_true(ref_relative_error(got.jv, before.jv, N_SAMPLES * N_OUT) > 1e-3);
  }
  products_free(&got);
  products_free(&want);
  products_free(&before);
  js_net_free(net);
  js_net_free(fresh);
  free(theta);
  free(v);
  free(u);
  free(x);
}

/* A new Jacobian operator on inputs at the same address (changed in place,
 * or a new data set where a freed one was) does not see the old cache. */
static void test_cache_follows_inputs(void **state) {
  (void)state;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_create(N_SAMPLES, DIM, N_OUT, 0, &data), JS_OK);
  ref_fill_normal(data->x, N_SAMPLES * DIM, 13);
  js_net_options opt = options(1u, 0, (size_t)1 << 30);
  js_net *net = make_net(&opt);
  js_net_options plain = options(1u, 0, 0);
  js_net *fresh = make_net(&plain);
  int64_t p = js_net_n_params(net);
  double *v = malloc(sizeof(double) * (size_t)p);
  double got[N_SAMPLES * N_OUT], want[N_SAMPLES * N_OUT];
  ref_fill_normal(v, p, 7);
  js_linop *op = NULL;
  assert_int_equal(js_jacobian_create(net, data, &op), JS_OK);
  assert_int_equal(js_linop_apply(op, 1, v, got), JS_OK);
  js_linop_free(op);
  ref_fill_normal(data->x, N_SAMPLES * DIM, 14); /* same address, other samples */
  assert_int_equal(js_jacobian_create(net, data, &op), JS_OK);
  assert_int_equal(js_linop_apply(op, 1, v, got), JS_OK);
  assert_int_equal(js_net_jvp(fresh, data->x, N_SAMPLES, v, 1, want), JS_OK);
  assert_true(ref_relative_error(got, want, N_SAMPLES * N_OUT) <= TOL);
  js_linop_free(op);
  js_net_free(net);
  js_net_free(fresh);
  js_dataset_free(data);
  free(v);
}

/* cache_limit one double short of the cache: no cache; exactly enough:
 * cached; js_net_set_memory lowering the limit frees it. */
static void test_cache_limit(void **state) {
  (void)state;
  double *x = malloc(sizeof(double) * N_SAMPLES * DIM);
  ref_fill_normal(x, N_SAMPLES * DIM, 15);
  js_net_options opt = options(1u, 0, 0);
  size_t need = js_footprint_cache(&opt) * N_SAMPLES;
  opt.cache_limit = need - 1;
  js_net *net = make_net(&opt);
  int64_t p = js_net_n_params(net);
  double *v = calloc((size_t)p, sizeof(double));
  double jv[N_SAMPLES * N_OUT];
  assert_int_equal(js_net_jvp(net, x, N_SAMPLES, v, 1, jv), JS_OK);
  assert_int_equal(net->cache.size, 0);
  assert_int_equal(js_net_set_memory(net, 0, need), JS_OK);
  assert_int_equal(js_net_jvp(net, x, N_SAMPLES, v, 1, jv), JS_OK);
  assert_int_equal(net->cache.size, need);
  js_net_drop_cache(net);
  assert_null(net->cache.data);
  assert_int_equal(js_net_jvp(net, x, N_SAMPLES, v, 1, jv), JS_OK); /* fills anew */
  assert_int_equal(net->cache.size, need);
  assert_int_equal(js_net_set_memory(net, 0, need / 2), JS_OK);
  assert_null(net->cache.data);
  assert_int_equal(js_net_set_memory(net, -1, 0), JS_EINVAL);
  js_net_free(net);
  free(v);
  free(x);
}

/* Single-precision products (cached or not, several batches and blocks)
 * agree with double within SINGLE_TOL, and follow set_params too. */
static void test_single_precision(void **state) {
  (void)state;
  double *x = malloc(sizeof(double) * N_SAMPLES * DIM);
  ref_fill_normal(x, N_SAMPLES * DIM, 16);
  js_net_options dbl = options(7u, 0, 0);
  js_net *ref = make_net(&dbl);
  int64_t p = js_net_n_params(ref), b = 3;
  double *v = malloc(sizeof(double) * (size_t)(p * b));
  double *u = malloc(sizeof(double) * (size_t)(N_SAMPLES * N_OUT * b));
  ref_fill_normal(v, p * b, 8);
  ref_fill_normal(u, N_SAMPLES * N_OUT * b, 9);
  double *theta = malloc(sizeof(double) * (size_t)p);
  js_net_get_params(ref, theta);
  for (int cached = 0; cached <= 1; cached++)
    for (int64_t batch = 0; batch <= 7; batch += 7) {
      js_net_options opt = options(7u, batch, cached ? (size_t)1 << 30 : 0);
      opt.precision = JS_PRECISION_SINGLE;
      js_net *net = make_net(&opt);
      for (int round = 0; round < 2; round++) {
        /* Each round at other weights: the float copy must follow. */
        for (int64_t i = 0; i < p; i++)
          theta[i] *= 1.25;
        js_net_set_params(ref, theta);
        js_net_set_params(net, theta);
        products want = compute(ref, x, v, u, b), got = compute(net, x, v, u, b);
        double e_jv = ref_relative_error(got.jv, want.jv, N_SAMPLES * N_OUT * b);
        double e_g = ref_relative_error(got.g, want.g, p * b);
        if (!(e_jv <= SINGLE_TOL && e_g <= SINGLE_TOL && e_jv > 0 && e_g > 0)) {
          print_error("single (cache %d, batch %lld, round %d): J v %.3g, J^T u %.3g\n",
                      cached, (long long)batch, round, e_jv, e_g);
          fail();
        }
        products_free(&want);
        products_free(&got);
      }
      js_net_free(net);
    }
  js_net_options bad = options(1u, 0, 0);
  bad.precision = (js_precision)7;
  js_net *none = NULL;
  assert_int_equal(js_net_create(&bad, &none), JS_EINVAL);
  js_net_free(ref);
  free(theta);
  free(v);
  free(u);
  free(x);
}

/* The plan keeps to its budget by its own estimate, caches when the cache
 * fits, and below the minimum refuses naming it. */
static void test_plan(void **state) {
  (void)state;
  js_net_options opt = options(1u, 0, 0);
  const size_t solver = (size_t)3 << 20;
  js_memory_plan plan;
  assert_int_equal(js_plan_memory(&opt, N_SAMPLES, 4, solver, (size_t)1 << 40, &plan),
                   JS_OK);
  assert_true(plan.cache);
  assert_int_equal(plan.batch_size, N_SAMPLES);
  assert_int_equal(plan.cache_limit, plan.cache_bytes);
  size_t min = plan.min_budget;
  assert_true(min > solver);
  for (size_t budget = min; budget < min + 2 * plan.cache_bytes + plan.batch_bytes;
       budget += 4099) {
    assert_int_equal(js_plan_memory(&opt, N_SAMPLES, 4, solver, budget, &plan), JS_OK);
    assert_true(plan.total_bytes <= budget);
    assert_true(plan.batch_size >= 1 && plan.batch_size <= N_SAMPLES);
    assert_int_equal(plan.total_bytes,
                     plan.fixed_bytes + plan.cache_bytes + plan.batch_bytes);
    if (budget >= plan.fixed_bytes + plan.cache_bytes + plan.batch_bytes + 2 * min)
      assert_true(plan.cache);
  }
  assert_int_equal(js_plan_memory(&opt, N_SAMPLES, 4, solver, min, &plan), JS_OK);
  assert_int_equal(plan.batch_size, 1);
  assert_int_equal(js_plan_memory(&opt, N_SAMPLES, 4, solver, min - 1, &plan), JS_ENOMEM);
  assert_int_equal(plan.min_budget, min);
  char expect[64];
  snprintf(expect, sizeof expect, "%zu KiB", (min + 1023) / 1024);
  if (!strstr(js_last_error(), expect)) {
    print_error("message '%s' does not name the minimum (%s)\n", js_last_error(), expect);
    fail();
  }
  assert_int_equal(js_plan_memory(NULL, N_SAMPLES, 4, solver, min, &plan), JS_EINVAL);
  assert_int_equal(js_plan_memory(&opt, 0, 4, solver, min, &plan), JS_EINVAL);
}

static void test_threads(void **state) {
  (void)state;
  assert_int_equal(js_set_threads(-1), JS_EINVAL);
  int all = js_set_threads(0);
  assert_true(all >= 1);
  assert_int_equal(js_set_threads(all + 100), all);
  assert_int_equal(js_set_threads(1), 1);
  js_set_threads(0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_execution_choices_agree),
      cmocka_unit_test(test_cache_follows_weights),
      cmocka_unit_test(test_cache_follows_inputs),
      cmocka_unit_test(test_cache_limit),
      cmocka_unit_test(test_single_precision),
      cmocka_unit_test(test_plan),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

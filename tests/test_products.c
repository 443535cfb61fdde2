/* The products' execution choices do not change their results: the
 * activation cache (filled, hit, refused by its limit), batch sizes, block
 * sizes and thread counts, all against one plain configuration (no cache,
 * one batch, one thread) that test_net checks against the explicit J. And
 * the Jacobian is a snapshot: writing the network's parameters afterwards
 * (js_net_set_params, js_net_tensor_mut) leaves an existing operator as it
 * was, while a Jacobian created after the write follows it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "model/schedule.h"
#include "reference_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Large enough that the elementwise loops run on several threads
 * (n x width >= 16384) and the GEMMs are blocked. */
#define N_SAMPLES 300
#define DIM 20
#define N_OUT 4
#define NK (N_SAMPLES * N_OUT)
/* Single precision: the tolerance the header documents for products. The
 * float rounding of each of the O(m) terms of a dot product gives a
 * relative error near sqrt(m) 6e-8; 1e-5 leaves a margin for the depth. */
#define SINGLE_TOL 1e-5
#define TOL 1e-12
#define BIG_CACHE ((size_t)1 << 30)

static const int64_t widths[] = {DIM, 64, 48, N_OUT};

/* The network of every test here: 20 -> 64 -> 48 -> 4, softplus, trained
 * as the patterns say ("W2": only the middle layer). */
static js_net *make_net(const char *trained, int bias) {
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.n_layers = 3;
  opt.widths = widths;
  opt.bias = bias;
  opt.seed = 5;
  js_net *net = NULL;
  assert_int_equal(js_net_create_mlp(&opt, &net), JS_OK);
  assert_int_equal(js_net_set_trained(net, trained), JS_OK);
  return net;
}

static js_jacobian_options jac_options(int64_t batch, size_t cache_limit,
                                       js_precision precision) {
  js_jacobian_options opt;
  js_jacobian_options_init_defaults(&opt);
  opt.batch_size = batch;
  opt.cache_limit = cache_limit;
  opt.precision = precision;
  return opt;
}

static js_linop *make_op(const js_net *net, const js_dataset *data,
                         const js_jacobian_options *opt) {
  js_linop *op = NULL;
  int rc = js_jacobian_create(net, data, opt, &op);
  if (rc)
    print_error("js_jacobian_create: %s\n", js_last_error());
  assert_int_equal(rc, JS_OK);
  return op;
}

/* A flat data set of N_SAMPLES random inputs (targets unused). */
static js_dataset *make_data(uint64_t seed) {
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_create(N_SAMPLES, DIM, N_OUT, 0, &data), JS_OK);
  ref_fill_normal(data->x, N_SAMPLES * DIM, seed);
  return data;
}

/* n standard normal numbers (caller frees): a block of random vectors. */
static double *normal_block(int64_t n, uint64_t seed) {
  double *x = malloc(sizeof(double) * (size_t)n);
  assert_non_null(x);
  ref_fill_normal(x, n, seed);
  return x;
}

/* J v and J^T u of a block of b vectors. */
typedef struct products {
  double *jv, *g;
} products;

static products compute(js_linop *op, const double *v, const double *u, int64_t b) {
  int64_t p = js_linop_cols(op);
  products out = {calloc((size_t)(NK * b), sizeof(double)), calloc((size_t)(p * b), sizeof(double))};
  assert_non_null(out.jv);
  assert_non_null(out.g);
  assert_int_equal(js_linop_apply(op, b, v, out.jv), JS_OK);
  assert_int_equal(js_linop_apply_t(op, b, u, out.g), JS_OK);
  return out;
}

static void expect_close(const products *got, const products *want, int64_t p, int64_t b,
                         double tol, const char *label) {
  double e_jv = ref_relative_error(got->jv, want->jv, NK * b);
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

/* Bit for bit: what a snapshot promises for an operator nobody touched. */
static void expect_identical(const products *got, const products *want, int64_t p, int64_t b,
                             const char *label) {
  if (memcmp(got->jv, want->jv, sizeof(double) * (size_t)(NK * b)) ||
      memcmp(got->g, want->g, sizeof(double) * (size_t)(p * b))) {
    print_error("%s: the products changed\n", label);
    fail();
  }
}

static void products_free(products *pr) {
  free(pr->jv);
  free(pr->g);
}

/* Whether a Jacobian with these options runs its products from the cache.
 * A white-box probe through the public API: on a private copy of the
 * inputs, one product fills the cache; then the inputs are changed in
 * place (which the contract forbids exactly because of the cache) and the
 * next product compared with a fresh, uncached Jacobian on the new inputs.
 * From the cache it still sees the old forward data (the forward data of
 * these nets always includes an activation derivative), so it differs;
 * without a cache it recomputes and agrees. twin: the probe is of the
 * single twin of a mixed-precision Jacobian (js_jacobian_fast). */
static int probe_cache(const js_net *net, const js_dataset *data, const js_jacobian_options *opt,
                       int twin) {
  js_dataset *copy = NULL;
  assert_int_equal(js_dataset_create(data->n_samples, data->dim, data->n_outputs, 0, &copy),
                   JS_OK);
  memcpy(copy->x, data->x, sizeof(double) * (size_t)(data->n_samples * data->dim));
  int64_t p = js_net_n_params(net);
  double *v = malloc(sizeof(double) * (size_t)p);
  double *got = malloc(sizeof(double) * NK), *want = malloc(sizeof(double) * NK);
  ref_fill_normal(v, p, 77);
  js_linop *op = make_op(net, copy, opt);
  js_linop *probed = twin ? js_jacobian_fast(op) : op;
  assert_non_null(probed);
  assert_int_equal(js_linop_apply(probed, 1, v, got), JS_OK);
  for (int64_t i = 0; i < data->n_samples * data->dim; i++)
    copy->x[i] = 1.5 * copy->x[i] + 0.25;
  assert_int_equal(js_linop_apply(probed, 1, v, got), JS_OK);
  js_jacobian_options plain = *opt;
  plain.cache_limit = 0;
  if (twin)
    plain.precision = JS_PRECISION_SINGLE;
  js_linop *fresh = make_op(net, copy, &plain);
  assert_int_equal(js_linop_apply(fresh, 1, v, want), JS_OK);
  double err = ref_relative_error(got, want, NK);
  /* Either the same up to rounding (recomputed) or clearly not (stale). */
  double tol = plain.precision == JS_PRECISION_SINGLE ? SINGLE_TOL : TOL;
  if (!(err <= tol || err > 1e-3)) {
    print_error("cache probe: relative difference %.3g is neither rounding nor stale\n", err);
    fail();
  }
  js_linop_free(op);
  js_linop_free(fresh);
  js_dataset_free(copy);
  free(v);
  free(got);
  free(want);
  return err > 1e-3;
}

static int runs_from_cache(const js_net *net, const js_dataset *data,
                           const js_jacobian_options *opt) {
  return probe_cache(net, data, opt, 0);
}

/* Every (cache, batch, block, threads) combination, twice on one operator
 * (the second call hits the cache the first filled), against the plain
 * configuration. */
static void test_execution_choices_agree(void **state) {
  (void)state;
  const char *trained_sets[] = {"W1", "W2", "*"};
  const int64_t batches[] = {1, 7, 0}, blocks[] = {1, 5};
  js_dataset *data = make_data(11);
  for (int it = 0; it < 3; it++) {
    js_net *net = make_net(trained_sets[it], it == 2);
    js_jacobian_options plain = jac_options(N_SAMPLES, 0, JS_PRECISION_DOUBLE);
    int64_t p = js_net_n_params(net);
    for (int ik = 0; ik < 2; ik++) {
      int64_t b = blocks[ik];
      double *v = normal_block(p * b, 3), *u = normal_block(NK * b, 4);
      assert_int_equal(js_set_threads(1), 1);
      js_linop *ref = make_op(net, data, &plain);
      products want = compute(ref, v, u, b);
      js_linop_free(ref);
      for (int threads = 1; threads <= 2; threads++) {
        int used = js_set_threads(threads);
        assert_true(used >= 1 && used <= threads);
        for (int cached = 0; cached <= 1; cached++)
          for (int ib = 0; ib < 3; ib++) {
            js_jacobian_options opt =
                jac_options(batches[ib], cached ? BIG_CACHE : 0, JS_PRECISION_DOUBLE);
            js_linop *op = make_op(net, data, &opt);
            for (int call = 0; call < 2; call++) {
              char label[160];
              snprintf(label, sizeof label,
                       "trained %s, block %lld, %d threads, cache %d, batch %lld, call %d",
                       trained_sets[it], (long long)b, used, cached,
                       (long long)batches[ib], call);
              products got = compute(op, v, u, b);
              expect_same(&got, &want, p, b, label);
              products_free(&got);
            }
            js_linop_free(op);
            /* The cache was used exactly when allowed. */
            if (ik == 0 && threads == 1)
              assert_int_equal(runs_from_cache(net, data, &opt), cached);
          }
      }
      products_free(&want);
      free(v);
      free(u);
    }
    js_net_free(net);
  }
  js_set_threads(0);
  js_dataset_free(data);
}

/* The snapshot contract: after js_net_set_params an existing (cached)
 * Jacobian gives exactly the products it gave before; a new one follows the
 * new parameters, as does an uncached Jacobian of an independent copy. */
static void test_snapshot_of_parameters(void **state) {
  (void)state;
  js_dataset *data = make_data(12);
  js_net *net = make_net("W1,W3", 0);
  int64_t p = js_net_n_params(net);
  double *theta = malloc(sizeof(double) * (size_t)p);
  double *v = malloc(sizeof(double) * (size_t)p);
  double *u = malloc(sizeof(double) * NK);
  ref_fill_normal(v, p, 5);
  ref_fill_normal(u, NK, 6);
  js_jacobian_options cached = jac_options(0, BIG_CACHE, JS_PRECISION_DOUBLE);
  js_jacobian_options plain = jac_options(0, 0, JS_PRECISION_DOUBLE);
  js_linop *old = make_op(net, data, &cached);
  products before = compute(old, v, u, 1); /* fills the cache */

  js_net_get_params(net, theta);
  for (int64_t i = 0; i < p; i++)
    theta[i] *= 1.5;
  js_net_set_params(net, theta);
  js_net *copy = make_net("W1,W3", 0);
  js_net_set_params(copy, theta);
  js_linop *now = make_op(net, data, &cached), *fresh = make_op(copy, data, &plain);
  products again = compute(old, v, u, 1), got = compute(now, v, u, 1);
  products want = compute(fresh, v, u, 1);
  expect_identical(&again, &before, p, 1, "the old Jacobian after js_net_set_params");
  expect_same(&got, &want, p, 1, "a new Jacobian after js_net_set_params");
  assert_true(ref_relative_error(got.jv, before.jv, NK) > 1e-3);
  products_free(&before);
  products_free(&again);
  products_free(&got);
  products_free(&want);
  js_linop_free(old);
  js_linop_free(now);
  js_linop_free(fresh);
  js_net_free(net);
  js_net_free(copy);
  free(theta);
  free(v);
  free(u);
  js_dataset_free(data);
}

/* Writing through js_net_tensor_mut a tensor that is cached but not
 * trained (W2 with only W1 trained: h_2 depends on it) changes J but not
 * theta. An existing Jacobian keeps its copy (in single precision also its
 * float copy); a new one follows the write. */
static void test_snapshot_of_untrained_tensor(void **state) {
  (void)state;
  js_dataset *data = make_data(13);
  for (int single = 0; single <= 1; single++) {
    js_precision precision = single ? JS_PRECISION_SINGLE : JS_PRECISION_DOUBLE;
    js_net *net = make_net("W1", 0), *copy = make_net("W1", 0);
    int64_t p = js_net_n_params(net);
    double *v = malloc(sizeof(double) * (size_t)p), *u = malloc(sizeof(double) * NK);
    ref_fill_normal(v, p, 7);
    ref_fill_normal(u, NK, 8);
    js_jacobian_options cached = jac_options(0, BIG_CACHE, precision);
    js_jacobian_options plain = jac_options(0, 0, JS_PRECISION_DOUBLE);
    js_linop *old = make_op(net, data, &cached);
    products before = compute(old, v, u, 1); /* fills the cache and the float copy */

    int w2 = js_net_find_tensor(net, "W2");
    double *w = js_net_tensor_mut(net, w2);
    for (int64_t i = 0; i < 48 * 64; i++)
      w[i] = -w[i] * 2.0;
    memcpy(js_net_tensor_mut(copy, w2), w, sizeof(double) * 48 * 64);
    js_linop *now = make_op(net, data, &cached), *fresh = make_op(copy, data, &plain);
    products again = compute(old, v, u, 1), got = compute(now, v, u, 1);
    products want = compute(fresh, v, u, 1);
    const char *label = single ? "single precision" : "double precision";
    expect_identical(&again, &before, p, 1, label);
    expect_close(&got, &want, p, 1, single ? SINGLE_TOL : TOL, label);
    assert_true(ref_relative_error(got.jv, before.jv, NK) > 1e-3);
    products_free(&before);
    products_free(&again);
    products_free(&got);
    products_free(&want);
    js_linop_free(old);
    js_linop_free(now);
    js_linop_free(fresh);
    js_net_free(net);
    js_net_free(copy);
    free(v);
    free(u);
  }
  js_dataset_free(data);
}

/* A new Jacobian on inputs at the same address (changed in place, as a new
 * data set may come where a freed one was) does not see an old cache. */
static void test_cache_follows_inputs(void **state) {
  (void)state;
  js_dataset *data = make_data(13);
  js_net *net = make_net("W1", 0);
  int64_t p = js_net_n_params(net);
  double *v = malloc(sizeof(double) * (size_t)p);
  double got[NK], want[NK];
  ref_fill_normal(v, p, 7);
  js_jacobian_options cached = jac_options(0, BIG_CACHE, JS_PRECISION_DOUBLE);
  js_jacobian_options plain = jac_options(0, 0, JS_PRECISION_DOUBLE);
  js_linop *op = make_op(net, data, &cached);
  assert_int_equal(js_linop_apply(op, 1, v, got), JS_OK);
  js_linop_free(op);
  ref_fill_normal(data->x, N_SAMPLES * DIM, 14); /* same address, other samples */
  op = make_op(net, data, &cached);
  assert_int_equal(js_linop_apply(op, 1, v, got), JS_OK);
  js_linop *fresh = make_op(net, data, &plain);
  assert_int_equal(js_linop_apply(fresh, 1, v, want), JS_OK);
  assert_true(ref_relative_error(got, want, NK) <= TOL);
  js_linop_free(op);
  js_linop_free(fresh);
  js_net_free(net);
  js_dataset_free(data);
  free(v);
}

/* The cache takes exactly what the planner counts for it (js_plan_memory's
 * cache_bytes, the schedule's forward data of all samples): cache_limit one
 * byte short of it: no cache; exactly enough: cached; 0: never. */
static void test_cache_limit(void **state) {
  (void)state;
  js_dataset *data = make_data(15);
  for (int single = 0; single <= 1; single++) {
    js_precision precision = single ? JS_PRECISION_SINGLE : JS_PRECISION_DOUBLE;
    for (int it = 0; it < 2; it++) {
      js_net *net = make_net(it ? "W2" : "W1", 0);
      js_memory_plan plan;
      assert_int_equal(js_plan_memory(net, precision, N_SAMPLES, 1, 0, (size_t)1 << 40, &plan),
                       JS_OK);
      assert_true(plan.cache);
      size_t need = plan.cache_bytes;
      js_schedule s;
      assert_int_equal(js_schedule_create(net, precision, &s), JS_OK);
      assert_int_equal(js_schedule_data_bytes(&s, N_SAMPLES), need);
      /* Its size from the shapes, every array rounded up to a cache line:
       * W1 trained: phi'(z_1), phi'(z_2) (the input of W1 is the data
       * itself in double); W2 trained: h_1 (the input of W2) and phi'(z_2)
       * (z_1 does not depend on W2). */
      size_t elem = single ? sizeof(float) : sizeof(double);
      size_t expect = 0;
      const int64_t kept[2] = {64, 48};
      for (int a = 0; a < 2; a++)
        expect += (elem * (size_t)(kept[a] * N_SAMPLES) + 63) / 64 * 64;
      if (single && !it) /* single: the input of W1 is converted, so kept */
        expect += (elem * (size_t)(DIM * N_SAMPLES) + 63) / 64 * 64;
      if (need != expect)
        fail_msg("cache of %s (%s): %zu bytes, expected %zu", it ? "W2" : "W1",
                 single ? "single" : "double", need, expect);
      js_schedule_free(&s);
      js_jacobian_options opt = jac_options(0, need - 1, precision);
      assert_false(runs_from_cache(net, data, &opt));
      opt.cache_limit = need;
      assert_true(runs_from_cache(net, data, &opt));
      opt.cache_limit = 0;
      assert_false(runs_from_cache(net, data, &opt));
      js_net_free(net);
    }
  }
  js_dataset_free(data);
}

/* Single-precision products (cached or not, several batches and blocks)
 * agree with double within SINGLE_TOL, at the parameters each Jacobian was
 * created with (js_net_set_params, js_jacobian_create_at). A block of 11
 * runs as chunks of 8 and 3 vectors (JS_FLOAT_BLOCK). */
static void test_single_precision(void **state) {
  (void)state;
  js_dataset *data = make_data(16);
  js_net *net = make_net("*", 1);
  int64_t p = js_net_n_params(net), b = 11;
  double *v = normal_block(p * b, 8), *u = normal_block(NK * b, 9);
  double *theta = malloc(sizeof(double) * (size_t)p);
  js_net_get_params(net, theta);
  js_jacobian_options dbl = jac_options(0, 0, JS_PRECISION_DOUBLE);
  for (int cached = 0; cached <= 1; cached++)
    for (int64_t batch = 0; batch <= 7; batch += 7) {
      js_jacobian_options opt = jac_options(batch, cached ? BIG_CACHE : 0, JS_PRECISION_SINGLE);
      for (int round = 0; round < 2; round++) {
        /* Each round at other weights: the float copy must follow. */
        for (int64_t i = 0; i < p; i++)
          theta[i] *= 1.25;
        js_linop *ref, *op;
        if (round == 0) {
          js_net_set_params(net, theta);
          ref = make_op(net, data, &dbl);
          op = make_op(net, data, &opt);
        } else {
          assert_int_equal(js_jacobian_create_at(net, theta, data, &dbl, &ref), JS_OK);
          assert_int_equal(js_jacobian_create_at(net, theta, data, &opt, &op), JS_OK);
        }
        products want = compute(ref, v, u, b), got = compute(op, v, u, b);
        double e_jv = ref_relative_error(got.jv, want.jv, NK * b);
        double e_g = ref_relative_error(got.g, want.g, p * b);
        if (!(e_jv <= SINGLE_TOL && e_g <= SINGLE_TOL && e_jv > 0 && e_g > 0)) {
          print_error("single (cache %d, batch %lld, round %d): J v %.3g, J^T u %.3g\n",
                      cached, (long long)batch, round, e_jv, e_g);
          fail();
        }
        products_free(&want);
        products_free(&got);
        js_linop_free(ref);
        js_linop_free(op);
      }
    }
  js_jacobian_options bad = jac_options(0, 0, (js_precision)7);
  js_linop *none = (js_linop *)data;
  assert_int_equal(js_jacobian_create(net, data, &bad, &none), JS_EINVAL);
  assert_null(none);
  js_net_free(net);
  free(theta);
  free(v);
  free(u);
  js_dataset_free(data);
}

/* The plan keeps to its budget by its own estimate, caches when the cache
 * fits, and below the minimum refuses naming it; its batch size and cache
 * limit make a Jacobian that runs (from the cache when planned so) and
 * agrees with the plain one. */
static void test_plan(void **state) {
  (void)state;
  js_net *net = make_net("W1", 0);
  const size_t solver = (size_t)3 << 20;
  js_memory_plan plan;
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver,
                                  (size_t)1 << 40, &plan), JS_OK);
  assert_true(plan.cache);
  assert_int_equal(plan.batch_size, N_SAMPLES);
  assert_int_equal(plan.cache_limit, plan.cache_bytes);
  size_t min = plan.min_budget;
  assert_true(min > solver);
  /* The sweep's end from the unconstrained plan (the loop overwrites
   * plan): far enough that the cache fits next to a full batch. */
  size_t need = plan.cache_bytes, end = min + 2 * need + plan.batch_bytes;
  int seen_cache = 0, seen_no_cache = 0;
  for (size_t budget = min; budget < end; budget += 4099) {
    assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver, budget,
                                    &plan), JS_OK);
    assert_true(plan.total_bytes <= budget);
    assert_true(plan.batch_size >= 1 && plan.batch_size <= N_SAMPLES);
    /* One vector's batch is the larger, and both fit the workspace left. */
    assert_true(plan.vector_batch_size >= plan.batch_size &&
                plan.vector_batch_size <= N_SAMPLES);
    assert_true(plan.batch_bytes <= plan.workspace_limit || plan.vector_batch_size == 1);
    assert_true(plan.workspace_limit <= budget - plan.fixed_bytes - plan.cache_bytes);
    assert_int_equal(plan.total_bytes,
                     plan.fixed_bytes + plan.cache_bytes + plan.batch_bytes);
    assert_int_equal(plan.cache_limit, plan.cache ? plan.cache_bytes : 0);
    /* Room for the cache and a batch of one: it caches (a cached batch
     * needs no more workspace than the uncached one min counts). */
    if (budget >= min + need)
      assert_true(plan.cache);
    seen_cache |= plan.cache;
    seen_no_cache |= !plan.cache;
  }
  assert_true(seen_cache && seen_no_cache); /* the sweep crossed the cache's threshold */
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver, min, &plan),
                   JS_OK);
  assert_int_equal(plan.batch_size, 1);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver, min - 1,
                                  &plan), JS_ENOMEM);
  assert_int_equal(plan.min_budget, min);
  char expect[64];
  snprintf(expect, sizeof expect, "%zu KiB", (min + 1023) / 1024);
  if (!strstr(js_last_error(), expect)) {
    print_error("message '%s' does not name the minimum (%s)\n", js_last_error(), expect);
    fail();
  }
  assert_int_equal(js_plan_memory(NULL, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver, min, &plan),
                   JS_EINVAL);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, 0, 4, solver, min, &plan),
                   JS_EINVAL);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 0, solver, min, &plan),
                   JS_EINVAL);

  /* Single precision halves the cache (floats; the input is then kept). */
  js_memory_plan single;
  assert_int_equal(js_plan_memory(net, JS_PRECISION_SINGLE, N_SAMPLES, 4, solver,
                                  (size_t)1 << 40, &single), JS_OK);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, 4, solver,
                                  (size_t)1 << 40, &plan), JS_OK);
  assert_true(single.cache_bytes < plan.cache_bytes);

  /* Plans used: a cached plan and a small-budget one give the plain
   * products, from the cache exactly when the plan caches. */
  js_dataset *data = make_data(17);
  int64_t p = js_net_n_params(net), b = 4;
  double *v = normal_block(p * b, 1), *u = normal_block(NK * b, 2);
  js_jacobian_options plain = jac_options(N_SAMPLES, 0, JS_PRECISION_DOUBLE);
  js_linop *ref = make_op(net, data, &plain);
  products want = compute(ref, v, u, b);
  const size_t budgets[] = {(size_t)1 << 40, min + 10000};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, b, solver, budgets[k],
                                    &plan), JS_OK);
    assert_int_equal(plan.cache, k == 0);
    /* The plan's one batch for every product, or (as the command line
     * runs) a batch per product from its workspace limit. */
    for (int per_product = 0; per_product < 2; per_product++) {
      js_jacobian_options opt = jac_options(per_product ? 0 : plan.batch_size,
                                            plan.cache_limit, JS_PRECISION_DOUBLE);
      opt.workspace_limit = per_product ? plan.workspace_limit : 0;
      js_linop *op = make_op(net, data, &opt);
      products got = compute(op, v, u, b);
      expect_same(&got, &want, p, b, k ? "small plan" : "cached plan");
      assert_int_equal(runs_from_cache(net, data, &opt), plan.cache);
      products_free(&got);
      js_linop_free(op);
    }
  }
  products_free(&want);
  js_linop_free(ref);
  free(v);
  free(u);
  js_dataset_free(data);
  js_net_free(net);
}

/* A mixed-precision Jacobian computes in double without a cache, its twin
 * (js_jacobian_fast) in single from the cache; the two take turns with one
 * workspace, and their products stay right whatever the order. Only a
 * mixed one has a twin. */
static void test_mixed_precision(void **state) {
  (void)state;
  js_dataset *data = make_data(18);
  js_net *net = make_net("*", 1);
  int64_t p = js_net_n_params(net), b = 5;
  double *v = normal_block(p * b, 10), *u = normal_block(NK * b, 11);
  js_jacobian_options plain = jac_options(N_SAMPLES, 0, JS_PRECISION_DOUBLE);
  js_jacobian_options mixed = jac_options(0, BIG_CACHE, JS_PRECISION_MIXED);
  js_linop *ref = make_op(net, data, &plain), *op = make_op(net, data, &mixed);
  js_linop *twin = js_jacobian_fast(op);
  assert_non_null(twin);
  assert_int_equal(js_linop_rows(twin), NK);
  assert_int_equal(js_linop_cols(twin), p);
  products want = compute(ref, v, u, b);
  for (int round = 0; round < 2; round++) {
    products fast = compute(twin, v, u, b), exact = compute(op, v, u, b);
    expect_close(&fast, &want, p, b, SINGLE_TOL, "mixed: the twin");
    assert_true(ref_relative_error(fast.jv, want.jv, NK * b) > 0);
    expect_same(&exact, &want, p, b, "mixed: the double products");
    products_free(&fast);
    products_free(&exact);
  }
  assert_false(runs_from_cache(net, data, &mixed));
  assert_true(probe_cache(net, data, &mixed, 1));
  js_jacobian_options single = jac_options(0, BIG_CACHE, JS_PRECISION_SINGLE);
  js_linop *alone = make_op(net, data, &single);
  assert_null(js_jacobian_fast(alone));
  assert_null(js_jacobian_fast(ref));
  assert_null(js_jacobian_fast(twin));
  products_free(&want);
  js_linop_free(alone);
  js_linop_free(op);
  js_linop_free(ref);
  free(v);
  free(u);
  js_dataset_free(data);
  js_net_free(net);
}

/* Where the budget does not bind, single precision plans no more memory
 * than double (its cache and workspace hold floats, its weights a float
 * copy), nor does mixed wherever double's plan leaves it room (its twin's
 * float weights and LAPACK's code on top of double's smallest: not so on
 * these tiny nets, whose workspace is a few KiB and which mixed then plans
 * against the budget alone, but on the README's Fashion-MNIST shape,
 * 784-256-3 on 3000 samples, top 50, `strict`).
 * Under any budget mixed plans within double's plan wherever that leaves
 * it room, and its plan runs. */
static void expect_not_above_double(const js_net *net, int64_t n, int64_t block, size_t solver,
                                    int strict, const char *what) {
  js_memory_plan dbl, single, mixed;
  const size_t huge = (size_t)1 << 40;
  assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, n, block, solver, huge, &dbl), JS_OK);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_SINGLE, n, block, solver, huge, &single),
                   JS_OK);
  assert_int_equal(js_plan_memory(net, JS_PRECISION_MIXED, n, block, solver, huge, &mixed),
                   JS_OK);
  int room = dbl.total_bytes >= mixed.min_budget;
  if (!(single.total_bytes <= dbl.total_bytes && (room || !strict) &&
        (!room || mixed.total_bytes <= dbl.total_bytes)))
    fail_msg("%s, blocks of %lld: double plans %zu bytes, single %zu, mixed %zu (at least "
             "%zu)", what, (long long)block, dbl.total_bytes, single.total_bytes,
             mixed.total_bytes, mixed.min_budget);
  assert_true(mixed.exact_batch_size >= 1 && dbl.exact_batch_size == 0);
  assert_true(mixed.min_budget > dbl.min_budget);
}

static void test_plan_precisions(void **state) {
  (void)state;
  const char *trained_sets[] = {"W1", "W2", "*"};
  const int64_t blocks[] = {1, 4, 40};
  const size_t solver = (size_t)1 << 20;
  for (int it = 0; it < 3; it++) {
    js_net *net = make_net(trained_sets[it], 0);
    for (int bi = 0; bi < 3; bi++) {
      expect_not_above_double(net, N_SAMPLES, blocks[bi], solver, 0, trained_sets[it]);
      js_memory_plan dbl, mixed;
      assert_int_equal(js_plan_memory(net, JS_PRECISION_MIXED, N_SAMPLES, blocks[bi], solver,
                                      (size_t)1 << 40, &mixed), JS_OK);
      size_t low = mixed.min_budget, top = mixed.total_bytes + 4 * mixed.cache_bytes;
      for (size_t budget = low; budget < top; budget += (top - low) / 97) {
        assert_int_equal(js_plan_memory(net, JS_PRECISION_DOUBLE, N_SAMPLES, blocks[bi], solver,
                                        budget, &dbl), JS_OK);
        assert_int_equal(js_plan_memory(net, JS_PRECISION_MIXED, N_SAMPLES, blocks[bi], solver,
                                        budget, &mixed), JS_OK);
        assert_true(mixed.total_bytes <= budget);
        if (dbl.total_bytes >= mixed.min_budget && mixed.total_bytes > dbl.total_bytes)
          fail_msg("%s, blocks of %lld, budget %zu: mixed plans %zu bytes, double %zu",
                   trained_sets[it], (long long)blocks[bi], budget, mixed.total_bytes,
                   dbl.total_bytes);
        assert_int_equal(mixed.total_bytes,
                         mixed.fixed_bytes + mixed.cache_bytes + mixed.batch_bytes);
      }
    }
    js_net_free(net);
  }
  const int64_t fmnist[] = {784, 256, 3};
  js_mlp_options mo;
  js_mlp_options_init_defaults(&mo);
  mo.n_layers = 2;
  mo.widths = fmnist;
  js_net *big = NULL;
  assert_int_equal(js_net_create_mlp(&mo, &big), JS_OK);
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = 50;
  expect_not_above_double(big, 3000, 50, js_svds_memory_bytes(&so, 9000, js_net_n_params(big)),
                          1, "784-256-3");
  js_net_free(big);
  /* A plan's options make a mixed Jacobian that runs from its twin's cache. */
  js_net *net = make_net("W1", 0);
  js_dataset *data = make_data(19);
  js_memory_plan plan;
  assert_int_equal(js_plan_memory(net, JS_PRECISION_MIXED, N_SAMPLES, 4, solver,
                                  (size_t)1 << 40, &plan), JS_OK);
  assert_true(plan.cache);
  js_jacobian_options opt = jac_options(0, plan.cache_limit, JS_PRECISION_MIXED);
  opt.workspace_limit = plan.workspace_limit;
  assert_true(probe_cache(net, data, &opt, 1));
  js_dataset_free(data);
  js_net_free(net);
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
      cmocka_unit_test(test_snapshot_of_parameters),
      cmocka_unit_test(test_snapshot_of_untrained_tensor),
      cmocka_unit_test(test_cache_follows_inputs),
      cmocka_unit_test(test_cache_limit),
      cmocka_unit_test(test_single_precision),
      cmocka_unit_test(test_plan),
      cmocka_unit_test(test_mixed_precision),
      cmocka_unit_test(test_plan_precisions),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

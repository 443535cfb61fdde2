/* Checkpoints of js_train: a run stopped after step 10 and resumed from
 * its snapshot of step 8 reports the same losses, distances and linearised
 * gaps for steps 9..T, bit for bit, and ends at the same parameters as a
 * run never stopped; for GD, SGD (the sample draws) and Adam (the moments),
 * GD and Adam with the linearised run, all with the Taylor remainder, the
 * overlap with I(theta_0) and the Jacobian's change measured at every step
 * (SGD's remainder then needs r_0 recomputed from theta_0, and the change
 * lambda_1(J_0) solved again). Bad snapshots are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "small_problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 20, EVERY = 4, KEEP = 8, STOP = 10 };

/* What the training callback saw at each step. */
typedef struct trace {
  double loss[STEPS + 1], dist[STEPS + 1], lin_gap[STEPS + 1];
  double taylor[STEPS + 1], overlap[STEPS + 1], change[STEPS + 1];
  int64_t stop_after; /* the callback stops the run after this step (0: never) */
} trace;

static int record(void *ctx, const js_train_state *st) {
  trace *tr = ctx;
  tr->loss[st->step] = st->loss;
  tr->dist[st->step] = st->dist_from_init;
  tr->lin_gap[st->step] = st->lin_gap;
  tr->taylor[st->step] = st->taylor_rem;
  tr->overlap[st->step] = st->space_overlap;
  tr->change[st->step] = st->jacobian_change;
  return tr->stop_after && st->step == tr->stop_after;
}

/* A deep copy of the snapshot of step KEEP. */
typedef struct kept {
  js_train_snapshot snap;
  double *arrays[9];
  int64_t *order;
  int64_t p, m, n;
} kept;

static const double *copy(kept *k, int slot, const double *from, int64_t len) {
  if (!from)
    return NULL;
  k->arrays[slot] = malloc(sizeof(double) * (size_t)len);
  memcpy(k->arrays[slot], from, sizeof(double) * (size_t)len);
  return k->arrays[slot];
}

static int keep(void *ctx, const js_train_snapshot *s) {
  kept *k = ctx;
  if (s->step != KEEP)
    return JS_OK;
  k->snap = *s;
  k->snap.theta0 = copy(k, 0, s->theta0, k->p);
  k->snap.theta = copy(k, 1, s->theta, k->p);
  k->snap.moment1 = copy(k, 2, s->moment1, k->p);
  k->snap.moment2 = copy(k, 3, s->moment2, k->p);
  k->snap.lin_theta = copy(k, 4, s->lin_theta, k->p);
  k->snap.lin_residual = copy(k, 5, s->lin_residual, k->m);
  k->snap.lin_moment1 = copy(k, 6, s->lin_moment1, k->p);
  k->snap.lin_moment2 = copy(k, 7, s->lin_moment2, k->p);
  k->snap.res0 = copy(k, 8, s->res0, k->m);
  if (s->order) {
    k->order = malloc(sizeof(int64_t) * (size_t)k->n);
    memcpy(k->order, s->order, sizeof(int64_t) * (size_t)k->n);
  }
  k->snap.order = k->order;
  return JS_OK;
}

static void resume_matches(js_optimizer optimizer) {
  small_problem pb;
  assert_int_equal(small_problem_build(&pb, 30, 5, 7), JS_OK);
  js_net *net = pb.net;
  js_model *model = &pb.model;
  const double *y = pb.data->y;
  int64_t p = js_net_n_params(net);
  double *theta0 = malloc(sizeof(double) * (size_t)p);
  double *straight = malloc(sizeof(double) * (size_t)p);
  double *resumed = malloc(sizeof(double) * (size_t)p);
  js_net_get_params(net, theta0);

  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.optimizer = optimizer;
  opt.batch = 6;
  opt.linearized = optimizer != JS_OPTIM_SGD;
  opt.taylor = 1;
  opt.overlap_rank = 2;
  opt.jacobian_change = 1;
  opt.measure_every = 1;
  opt.lr = optimizer == JS_OPTIM_ADAM ? 1e-2 : 0; /* GD, SGD: the automatic rate */
  trace a = {0}, b = {0};
  memcpy(straight, theta0, sizeof(double) * (size_t)p);
  assert_int_equal(js_train(model, y, &opt, record, &a, straight), JS_OK);

  kept k = {.p = p, .m = model->n_outputs, .n = model->n_samples};
  opt.checkpoint_every = EVERY;
  opt.checkpoint = keep;
  opt.checkpoint_ctx = &k;
  b.stop_after = STOP;
  memcpy(resumed, theta0, sizeof(double) * (size_t)p);
  assert_int_equal(js_train(model, y, &opt, record, &b, resumed), JS_OK);
  assert_int_equal(k.snap.step, KEEP);

  /* Resume into a network whose weights are elsewhere: the snapshot rules. */
  memset(resumed, 0, sizeof(double) * (size_t)p);
  js_net_set_params(net, resumed);
  memset(&b, 0, sizeof b);
  opt.resume = &k.snap;
  assert_int_equal(js_train(model, y, &opt, record, &b, resumed), JS_OK);
  assert_memory_equal(resumed, straight, sizeof(double) * (size_t)p);
  for (int s = KEEP + 1; s <= STEPS; s++) {
    assert_memory_equal(&a.loss[s], &b.loss[s], sizeof(double));
    assert_memory_equal(&a.dist[s], &b.dist[s], sizeof(double));
    assert_memory_equal(&a.lin_gap[s], &b.lin_gap[s], sizeof(double));
    assert_memory_equal(&a.taylor[s], &b.taylor[s], sizeof(double));
    assert_memory_equal(&a.overlap[s], &b.overlap[s], sizeof(double));
    assert_memory_equal(&a.change[s], &b.change[s], sizeof(double));
    assert_true(a.taylor[s] > 0 && a.overlap[s] > 0 && a.overlap[s] <= 1 + 1e-12 &&
                a.change[s] > 0);
  }
  assert_true(b.loss[KEEP] == 0.0); /* step KEEP itself is not reported again */

  /* A snapshot that lacks what the options need, or steps past the end. */
  js_train_snapshot bad = k.snap;
  if (opt.linearized)
    bad.lin_residual = NULL;
  else
    bad.order = NULL;
  opt.resume = &bad;
  assert_int_equal(js_train(model, y, &opt, NULL, NULL, resumed), JS_EINVAL);
  assert_memory_equal(resumed, straight, sizeof(double) * (size_t)p); /* untouched */
  bad = k.snap;
  bad.step = STEPS + 1;
  assert_int_equal(js_train(model, y, &opt, NULL, NULL, resumed), JS_EINVAL);

  for (int i = 0; i < 9; i++)
    free(k.arrays[i]);
  free(k.order);
  free(theta0);
  free(straight);
  free(resumed);
  small_problem_free(&pb);
}

static void test_gd(void **state) {
  (void)state;
  resume_matches(JS_OPTIM_GD);
}

static void test_sgd(void **state) {
  (void)state;
  resume_matches(JS_OPTIM_SGD);
}

static void test_adam(void **state) {
  (void)state;
  resume_matches(JS_OPTIM_ADAM);
}

/* A model the option checks refuse before any call. */
static int never_forward(void *ctx, const double *theta, double *f) {
  (void)ctx, (void)theta, (void)f;
  fail();
  return JS_EINVAL;
}

static int never_jacobian(void *ctx, const double *theta, const int64_t *samples, int64_t n,
                          double *f, js_linop **op) {
  (void)ctx, (void)theta, (void)samples, (void)n, (void)f, (void)op;
  fail();
  return JS_EINVAL;
}

static void test_bad_options(void **state) {
  (void)state;
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.checkpoint_every = 5; /* and no callback */
  double y[2] = {0}, theta[1] = {0};
  js_model model = {.n_samples = 1, .n_outputs = 2, .n_params = 1,
                    .forward = never_forward, .jacobian = never_jacobian};
  assert_int_equal(js_train(&model, y, &opt, NULL, NULL, theta), JS_EINVAL);
  assert_non_null(strstr(js_last_error(), "checkpoints"));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_gd), cmocka_unit_test(test_sgd),
                                     cmocka_unit_test(test_adam),
                                     cmocka_unit_test(test_bad_options)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

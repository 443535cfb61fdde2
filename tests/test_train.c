/* The training loop against explicit computations:
 *   - the linearised run follows the closed form
 *     r~_t = U (I - eta Lambda^2)^t U^T r_0 + (I - U U^T) r_0 (dense SVD of
 *     the explicit J_0) at every step, and so does a user's linear model;
 *   - GD, SGD and Adam through the matrix-free operator equal the same
 *     iterations with the explicit J of the reference network, step by step;
 *   - a user's nonlinear model through the stateless callbacks: GD and SGD
 *     equal the explicit iterations, each Jacobian taken at the theta it
 *     was asked for;
 *   - the network's model changes nothing on the network;
 *   - the Taylor remainder ||f(theta_t) - f(theta_0) - J_0 (theta_t -
 *     theta_0)|| equals the explicit one, is exactly 0 at step 0 and
 *     quadratic in the step size; the overlap of I(theta_t) with I(theta_0)
 *     equals that of the dense SVDs' top vectors; ||J(theta_t) -
 *     J_0||_2 / ||J_0||_2 equals that of the explicit Jacobians (LAPACK),
 *     is 0 at step 0, grows along a GD run and stays 0 for a linear model;
 *   - a diverging run stops with JS_ENUMERIC naming the step; the callback
 *     can stop the loop; bad options are refused.
 *
 * Letters: m = nK rows (30), p parameters (20, W_1 trained), mn = min. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dense_op.h"
#include "dense_svd.h"
#include "reference_net.h"
#include "scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 10
#define DIM 4
#define HIDDEN 5
#define N_OUT 3
#define M (N_SAMPLES * N_OUT)
#define P (HIDDEN * DIM)
#define MN P
#define STEPS 25

typedef struct fixture {
  js_net *net, *ref; /* the network trained, and the reference's copy */
  ref_mlp arch;
  double x[N_SAMPLES * DIM];
  double y[M];
  js_dataset data;
  js_model model;
  double theta0[P];
} fixture;

static const int64_t widths[] = {DIM, HIDDEN, N_OUT};

static js_mlp_options net_options(js_act_kind act) {
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  opt.widths = widths;
  opt.act.kind = act;
  return opt;
}

static js_net *make_net(js_act_kind act) {
  js_mlp_options opt = net_options(act);
  js_net *net = NULL;
  return js_net_create_mlp(&opt, &net) ? NULL : net;
}

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx || !(fx->net = make_net(JS_ACT_TANH)) || !(fx->ref = make_net(JS_ACT_TANH)))
    return -1;
  ref_fill_normal(fx->x, N_SAMPLES * DIM, 7);
  for (int64_t i = 0; i < N_SAMPLES; i++)
    fx->y[i * N_OUT + i % N_OUT] = 1;
  fx->data = (js_dataset){.n_samples = N_SAMPLES, .dim = DIM, .n_outputs = N_OUT,
                          .x = fx->x, .y = fx->y};
  js_mlp_options opt = net_options(JS_ACT_TANH);
  fx->arch = ref_mlp_of(&opt);
  js_net_get_params(fx->net, fx->theta0);
  if (js_net_n_params(fx->net) != P || js_net_model_init(&fx->model, fx->net, &fx->data, NULL))
    return -1;
  *state = fx;
  return 0;
}

/* The model is stateless: training through it leaves the network at theta_0. */
static void expect_net_untouched(const fixture *fx) {
  double in_net[P];
  js_net_get_params(fx->net, in_net);
  assert_memory_equal(in_net, fx->theta0, sizeof in_net);
}

static int teardown(void **state) {
  fixture *fx = *state;
  js_model_release(&fx->model);
  js_net_free(fx->net);
  js_net_free(fx->ref);
  free(fx);
  return 0;
}

/* Every state the callback saw. */
typedef struct record {
  int64_t n_states;
  int64_t stop_at; /* return 1 at this step (-1: never) */
  double lr;
  double loss[STEPS + 1];
  double theta[STEPS + 1][P];
  double residual[STEPS + 1][M];
  int has_residual[STEPS + 1];
  double lin_residual[STEPS + 1][M];
  double lin_gap[STEPS + 1], lin_dist[STEPS + 1], dist[STEPS + 1];
  double taylor[STEPS + 1], overlap[STEPS + 1], change[STEPS + 1];
} record;

static int keep(void *ctx, const js_train_state *st) {
  record *rec = ctx;
  int64_t t = st->step;
  assert_int_equal(t, rec->n_states);
  rec->n_states++;
  rec->lr = st->lr;
  rec->loss[t] = st->loss;
  rec->dist[t] = st->dist_from_init;
  memcpy(rec->theta[t], st->theta, sizeof rec->theta[t]);
  rec->has_residual[t] = st->residual != NULL;
  if (st->residual)
    memcpy(rec->residual[t], st->residual, sizeof rec->residual[t]);
  if (st->lin_residual)
    memcpy(rec->lin_residual[t], st->lin_residual, sizeof rec->lin_residual[t]);
  rec->lin_gap[t] = st->lin_gap;
  rec->lin_dist[t] = st->lin_dist;
  rec->taylor[t] = st->taylor_rem;
  rec->overlap[t] = st->space_overlap;
  rec->change[t] = st->jacobian_change;
  return t == rec->stop_at;
}

static record *new_record(void) {
  record *rec = calloc(1, sizeof *rec);
  assert_non_null(rec);
  rec->stop_at = -1;
  return rec;
}

/* want_t = U (I - eta Lambda^2)^t U^T r0 + (I - U U^T) r0 for the full
 * SVD (s, u) of the explicit J_0 (mn triplets). */
static void closed_form(const double *s, const double *u, double eta, int64_t t,
                        const double *r0, double *want) {
  memcpy(want, r0, sizeof(double) * M);
  for (int64_t k = 0; k < MN; k++) {
    double c = ref_dot(u + k * M, r0, M);
    double shrink = pow(1.0 - eta * s[k] * s[k], (double)t) - 1.0;
    for (int64_t i = 0; i < M; i++)
      want[i] += shrink * c * u[k * M + i];
  }
}

static void test_linearized_closed_form(void **state) {
  fixture *fx = *state;
  double jacobian[M * P], s[MN], u[M * MN], v[P * MN], f0[M], r0[M], want[M];
  ref_jacobian(&fx->arch, fx->net, fx->x, N_SAMPLES, jacobian);
  assert_int_equal(dense_svd(jacobian, M, P, s, u, v), 0);
  ref_forward(&fx->arch, fx->net, fx->x, N_SAMPLES, f0);
  for (int64_t i = 0; i < M; i++)
    r0[i] = f0[i] - fx->y[i];

  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.linearized = 1;
  record *rec = new_record();
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  assert_int_equal(rec->n_states, STEPS + 1);
  /* Automatic eta = 1 / lambda_1^2 of J(theta_0). */
  assert_true(fabs(rec->lr * s[0] * s[0] - 1.0) <= 1e-10);
  double norm0 = sqrt(ref_dot(r0, r0, M));
  for (int64_t t = 0; t <= STEPS; t++) {
    closed_form(s, u, rec->lr, t, r0, want);
    for (int64_t i = 0; i < M; i++)
      assert_true(fabs(rec->lin_residual[t][i] - want[i]) <= 1e-10 * norm0);
    /* The reported gaps are the distances between the two runs. */
    double gap = 0;
    for (int64_t i = 0; i < M; i++)
      gap += (rec->residual[t][i] - rec->lin_residual[t][i]) *
             (rec->residual[t][i] - rec->lin_residual[t][i]);
    assert_true(fabs(sqrt(gap) - rec->lin_gap[t]) <= 1e-12 * norm0);
  }
  assert_true(rec->lin_gap[0] == 0 && rec->lin_dist[0] == 0);
  /* On return theta is the last step's; the network was not touched. */
  assert_memory_equal(theta, rec->theta[STEPS], sizeof theta);
  assert_true(ref_relative_error(theta, fx->theta0, P) > 1e-6);
  expect_net_untouched(fx);
  free(rec);
}

/* A user's model: f(theta) = A theta with an explicit A (dense_op), whose
 * Jacobian is A everywhere, so r_t itself has the closed form. */
typedef struct linear_model {
  dense_op op;
} linear_model;

static int linear_forward(void *ctx, const double *theta, double *f) {
  linear_model *lm = ctx;
  for (int64_t i = 0; i < M; i++) {
    f[i] = 0;
    for (int64_t j = 0; j < P; j++)
      f[i] += lm->op.a[i + j * M] * theta[j];
  }
  return JS_OK;
}

static int linear_jacobian(void *ctx, const double *theta, const int64_t *samples,
                           int64_t n_batch, double *f, js_linop **op) {
  (void)n_batch;
  if (samples)
    return JS_EINVAL; /* GD only */
  if (f)
    linear_forward(ctx, theta, f);
  return dense_op_create(&((linear_model *)ctx)->op, op); /* J = A at every theta */
}

static void test_user_model(void **state) {
  (void)state;
  double a[M * P], row_major[M * P], s[MN], u[M * MN], v[P * MN], y[M], r0[M], want[M];
  ref_fill_normal(a, M * P, 3);
  ref_fill_normal(y, M, 4);
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < P; j++)
      row_major[i * P + j] = a[i + j * M];
  assert_int_equal(dense_svd(row_major, M, P, s, u, v), 0);
  linear_model lm = {.op = {.rows = M, .cols = P, .a = a}};
  js_model model = {.n_samples = N_SAMPLES, .n_outputs = M, .n_params = P, .ctx = &lm,
                    .forward = linear_forward, .jacobian = linear_jacobian};
  double theta[P] = {0};
  for (int64_t i = 0; i < M; i++)
    r0[i] = -y[i];
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.lr = 0.7 / (s[0] * s[0]);
  opt.linearized = 1;
  opt.measure_every = 5;
  opt.jacobian_change = 1;
  record *rec = new_record();
  assert_int_equal(js_train(&model, y, &opt, keep, rec, theta), JS_OK);
  for (int64_t t = 0; t <= STEPS; t++) {
    closed_form(s, u, opt.lr, t, r0, want);
    assert_true(ref_relative_error(rec->residual[t], want, M) <= 1e-10);
    assert_true(ref_relative_error(rec->lin_residual[t], want, M) <= 1e-10);
    assert_true(rec->lin_dist[t] <= 1e-12 * (1 + rec->dist[t]));
    /* J = A everywhere: the difference is the zero operator. */
    assert_true(t % 5 ? isnan(rec->change[t]) : rec->change[t] == 0);
  }
  free(rec);
}

/* A user's nonlinear model, f(theta) = A tanh(theta) (A explicit, M x P),
 * through the stateless callbacks: its Jacobian at theta is
 * A diag(1 - tanh^2 theta), restricted to a batch's rows. Each operator
 * keeps its own copy of what it needs (the rows, scaled); as an operator
 * made by js_linop_create does not own its context, the model keeps the
 * contexts and frees them with itself. It records the theta and the
 * samples of every Jacobian asked for. */
#define MAX_CALLS (2 * STEPS + 4)
typedef struct tanh_model {
  const double *a;           /* M x P column-major: (i, j) at a[i + j M] */
  int64_t n_calls;
  double theta[MAX_CALLS][P]; /* the theta of each jacobian call */
  int64_t samples[MAX_CALLS][N_SAMPLES], n_batch[MAX_CALLS]; /* -1: all */
  dense_op ops[MAX_CALLS];   /* each call's operator context */
  double *rows[MAX_CALLS];   /* its matrix (n_batch K x P, column-major) */
} tanh_model;

static int tanh_forward(void *ctx, const double *theta, double *f) {
  tanh_model *tm = ctx;
  for (int64_t i = 0; i < M; i++) {
    f[i] = 0;
    for (int64_t j = 0; j < P; j++)
      f[i] += tm->a[i + j * M] * tanh(theta[j]);
  }
  return JS_OK;
}

static int tanh_jacobian(void *ctx, const double *theta, const int64_t *samples,
                         int64_t n_batch, double *f, js_linop **op) {
  tanh_model *tm = ctx;
  assert_true(tm->n_calls < MAX_CALLS);
  int64_t c = tm->n_calls++, rows = n_batch * N_OUT;
  memcpy(tm->theta[c], theta, sizeof(double) * P);
  tm->n_batch[c] = samples ? n_batch : -1;
  double *j = tm->rows[c] = malloc(sizeof(double) * (size_t)(rows * P));
  assert_non_null(j);
  for (int64_t b = 0; b < n_batch; b++) {
    int64_t sample = samples ? samples[b] : b;
    if (samples)
      tm->samples[c][b] = sample;
    for (int64_t k = 0; k < N_OUT; k++) {
      const double *a_row = tm->a + sample * N_OUT + k;
      if (f)
        f[b * N_OUT + k] = 0;
      for (int64_t q = 0; q < P; q++) {
        double t = tanh(theta[q]);
        j[b * N_OUT + k + q * rows] = a_row[q * M] * (1 - t * t);
        if (f)
          f[b * N_OUT + k] += a_row[q * M] * t;
      }
    }
  }
  tm->ops[c] = (dense_op){.rows = rows, .cols = P, .a = j};
  return dense_op_create(&tm->ops[c], op);
}

/* theta - eta J_B(theta)^T r_B(theta), explicitly (batch: n_batch samples,
 * or all when n_batch < 0). */
static void tanh_step(const double *a, const double *y, const double *theta, double eta,
                      const int64_t *batch, int64_t n_batch, double *next) {
  double f[M];
  for (int64_t i = 0; i < M; i++) {
    f[i] = 0;
    for (int64_t q = 0; q < P; q++)
      f[i] += a[i + q * M] * tanh(theta[q]);
  }
  int use[N_SAMPLES];
  for (int64_t i = 0; i < N_SAMPLES; i++)
    use[i] = n_batch < 0;
  for (int64_t b = 0; b < n_batch; b++)
    use[batch[b]] = 1;
  for (int64_t q = 0; q < P; q++) {
    double t = tanh(theta[q]), g = 0;
    for (int64_t i = 0; i < M; i++)
      if (use[i / N_OUT])
        g += a[i + q * M] * (1 - t * t) * (f[i] - y[i]);
    next[q] = theta[q] - eta * g;
  }
}

static void test_user_model_nonlinear(void **state) {
  (void)state;
  double a[M * P], y[M], want[P];
  ref_fill_normal(a, M * P, 31);
  ref_fill_normal(y, M, 32);
  for (int sgd = 0; sgd <= 1; sgd++) {
    tanh_model *tm = calloc(1, sizeof *tm);
    assert_non_null(tm);
    tm->a = a;
    js_model model = {.n_samples = N_SAMPLES, .n_outputs = M, .n_params = P, .ctx = tm,
                      .forward = tanh_forward, .jacobian = tanh_jacobian};
    double theta[P];
    ref_fill_normal(theta, P, 33);
    js_train_options opt;
    js_train_options_init_defaults(&opt);
    opt.steps = STEPS;
    opt.lr = 0.01;
    opt.optimizer = sgd ? JS_OPTIM_SGD : JS_OPTIM_GD;
    opt.batch = 4;
    record *rec = new_record();
    assert_int_equal(js_train(&model, y, &opt, keep, rec, theta), JS_OK);
    assert_int_equal(rec->n_states, STEPS + 1);
    /* J_0 on all samples first, then one Jacobian a step: GD takes
     * J(theta_t) on all samples after step t (its forward pass gives r_t,
     * and it makes the next step), SGD J_B(theta_{t-1}) on a batch of
     * distinct samples for step t. */
    assert_int_equal(tm->n_calls, STEPS + 1);
    assert_int_equal(tm->n_batch[0], -1);
    assert_memory_equal(tm->theta[0], rec->theta[0], sizeof(double) * P);
    for (int64_t t = 1; t <= STEPS; t++) {
      assert_memory_equal(tm->theta[t], rec->theta[sgd ? t - 1 : t], sizeof(double) * P);
      assert_int_equal(tm->n_batch[t], sgd ? opt.batch : -1);
      for (int64_t b = 0; b < tm->n_batch[t]; b++)
        for (int64_t e = 0; e < b; e++)
          assert_true(tm->samples[t][b] != tm->samples[t][e]);
      tanh_step(a, y, rec->theta[t - 1], opt.lr, tm->samples[t], tm->n_batch[t], want);
      if (ref_relative_error(rec->theta[t], want, P) > 1e-12)
        fail_msg("%s step %lld: theta off the explicit step by %.3g", sgd ? "SGD" : "GD",
                 (long long)t, ref_relative_error(rec->theta[t], want, P));
    }
    assert_true(rec->loss[STEPS] < rec->loss[0]);
    for (int64_t c = 0; c < tm->n_calls; c++)
      free(tm->rows[c]);
    free(tm);
    free(rec);
  }
}

/* The reference step: g = J(theta)^T r(theta) of the explicit J of the
 * reference net, summed over the samples flagged in `use` (NULL: all). */
static double reference_gradient(fixture *fx, const double *theta, const int *use,
                                 double *g) {
  double jacobian[M * P], f[M], r[M];
  js_net_set_params(fx->ref, theta);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, jacobian);
  ref_forward(&fx->arch, fx->ref, fx->x, N_SAMPLES, f);
  for (int64_t i = 0; i < M; i++)
    r[i] = use && !use[i / N_OUT] ? 0 : f[i] - fx->y[i];
  ref_apply(jacobian, M, P, 1, 1, r, g);
  return 0.5 * ref_dot(r, r, M);
}

static void test_gd_matches_explicit(void **state) {
  fixture *fx = *state;
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.lr = 0.05;
  record *rec = new_record();
  double theta[P], want[P], g[P];
  memcpy(theta, fx->theta0, sizeof theta);
  memcpy(want, fx->theta0, sizeof want);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  for (int64_t t = 0; t <= STEPS; t++) {
    double loss = reference_gradient(fx, want, NULL, g);
    assert_true(fabs(rec->loss[t] - loss) <= 1e-10 * loss);
    assert_true(ref_relative_error(rec->theta[t], want, P) <= 1e-10);
    for (int64_t j = 0; j < P; j++)
      want[j] -= opt.lr * g[j];
  }
  expect_net_untouched(fx);
  free(rec);
}

/* The same on a deeper net with every layer and bias trained and more
 * samples than a batch: three layers, softplus, batches of 4 over n = 9;
 * with the Jacobian's change every 5 steps against the explicit one, here
 * where min(nK, p) = 27 exceeds GKL's basis of 20, so that it restarts. */
typedef struct deep_record {
  int64_t p, n_states;
  double *theta; /* (STEPS + 1) x p */
  double loss[STEPS + 1], change[STEPS + 1];
} deep_record;

static int keep_deep(void *ctx, const js_train_state *st) {
  deep_record *rec = ctx;
  assert_int_equal(st->step, rec->n_states);
  memcpy(rec->theta + st->step * rec->p, st->theta, sizeof(double) * (size_t)rec->p);
  rec->loss[st->step] = st->loss;
  rec->change[st->step] = st->jacobian_change;
  rec->n_states++;
  return 0;
}

static void test_gd_matches_explicit_deep(void **state) {
  (void)state;
  enum { n = 9, d = 4, k = 3, m = n * k };
  const int64_t deep_widths[] = {d, 6, 5, k};
  js_mlp_options no;
  js_mlp_options_init_defaults(&no);
  no.n_layers = 3;
  no.widths = deep_widths;
  no.act.kind = JS_ACT_SOFTPLUS;
  no.bias = 1;
  no.seed = 8;
  ref_mlp arch = ref_mlp_of(&no);
  js_net *net = NULL, *ref = NULL;
  assert_int_equal(js_net_create_mlp(&no, &net), JS_OK);
  assert_int_equal(js_net_set_trained(net, "all"), JS_OK);
  ref_fill_normal(js_net_tensor_mut(net, js_net_find_tensor(net, "b1")), 6, 13);
  assert_int_equal(js_net_clone(net, &ref), JS_OK);
  js_jacobian_options jo;
  js_jacobian_options_init_defaults(&jo);
  jo.batch_size = 4;
  double x[n * d], y[m] = {0}, f[m], r[m];
  ref_fill_normal(x, n * d, 12);
  for (int64_t i = 0; i < n; i++)
    y[i * k + (i * 2) % k] = 1;
  js_dataset data = {.n_samples = n, .dim = d, .n_outputs = k, .x = x, .y = y};
  js_model model;
  assert_int_equal(js_net_model_init(&model, net, &data, &jo), JS_OK);
  int64_t p = js_net_n_params(net);
  assert_int_equal(p, 6 * d + 6 + 5 * 6 + 5 + k * 5 + k);
  assert_int_equal(ref_n_params(&arch, net), p);
  double *theta = malloc(sizeof(double) * (size_t)p);
  double *want = malloc(sizeof(double) * (size_t)p), *g = malloc(sizeof(double) * (size_t)p);
  double *jacobian = malloc(sizeof(double) * (size_t)(m * p));
  double *j0 = malloc(sizeof(double) * (size_t)(m * p)), s[m], u[m * m];
  double *v = malloc(sizeof(double) * (size_t)(p * m)), norm0 = 0;
  deep_record rec = {.p = p, .theta = malloc(sizeof(double) * (size_t)((STEPS + 1) * p))};
  assert_non_null(rec.theta);
  js_net_get_params(net, theta);
  memcpy(want, theta, sizeof(double) * (size_t)p);
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.lr = 0.02;
  opt.measure_every = 5;
  opt.jacobian_change = 1;
  assert_int_equal(js_train(&model, y, &opt, keep_deep, &rec, theta), JS_OK);
  assert_int_equal(rec.n_states, STEPS + 1);
  for (int64_t t = 0; t <= STEPS; t++) {
    js_net_set_params(ref, want);
    ref_jacobian(&arch, ref, x, n, jacobian);
    ref_forward(&arch, ref, x, n, f);
    for (int64_t i = 0; i < m; i++)
      r[i] = f[i] - y[i];
    double loss = 0.5 * ref_dot(r, r, m);
    assert_true(fabs(rec.loss[t] - loss) <= 1e-10 * loss);
    assert_true(ref_relative_error(rec.theta + t * p, want, p) <= 1e-10);
    ref_apply(jacobian, m, p, 1, 1, r, g);
    for (int64_t j = 0; j < p; j++)
      want[j] -= opt.lr * g[j];
    if (t == 0) {
      memcpy(j0, jacobian, sizeof(double) * (size_t)(m * p));
      assert_int_equal(dense_svd(j0, m, p, s, u, v), 0);
      norm0 = s[0];
    }
    if (t % 5)
      continue;
    for (int64_t i = 0; i < m * p; i++)
      jacobian[i] -= j0[i];
    assert_int_equal(dense_svd(jacobian, m, p, s, u, v), 0);
    double change = s[0] / norm0;
    if (!(fabs(rec.change[t] - change) <= 1e-6 * change))
      fail_msg("step %lld: jacobian_change %.12g, explicit %.12g", (long long)t,
               rec.change[t], change);
  }
  assert_true(rec.change[STEPS] > 1e-2); /* J moved */
  /* The run moved: the comparison is not between two copies of theta_0. */
  assert_true(ref_relative_error(rec.theta + STEPS * p, rec.theta, p) > 1e-3);
  assert_true(rec.loss[STEPS] < rec.loss[0]);
  /* The model left the network at theta_0 (the state of step 0). */
  js_net_get_params(net, theta);
  assert_memory_equal(theta, rec.theta, sizeof(double) * (size_t)p);
  free(theta);
  free(want);
  free(g);
  free(jacobian);
  free(j0);
  free(v);
  free(rec.theta);
  js_model_release(&model);
  js_net_free(net);
  js_net_free(ref);
}

/* SGD for 6 steps of batches of 3 at eta = 0.05. */
static js_train_options sgd_options(void) {
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = 6;
  opt.lr = 0.05;
  opt.optimizer = JS_OPTIM_SGD;
  opt.batch = 3;
  return opt;
}

/* SGD: each step is -eta J_B^T r_B for one of the C(n, B) batches; with
 * B = n it is the GD step. */
static void test_sgd_steps_are_batch_gradients(void **state) {
  fixture *fx = *state;
  js_train_options opt = sgd_options();
  opt.seed = 11;
  record *rec = new_record();
  double theta[P], g[P], step[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  for (int64_t t = 1; t <= opt.steps; t++) {
    for (int64_t j = 0; j < P; j++)
      step[j] = (rec->theta[t - 1][j] - rec->theta[t][j]) / opt.lr;
    int matches = 0;
    for (int a = 0; a < N_SAMPLES; a++)
      for (int b = a + 1; b < N_SAMPLES; b++)
        for (int c = b + 1; c < N_SAMPLES; c++) {
          int use[N_SAMPLES] = {0};
          use[a] = use[b] = use[c] = 1;
          reference_gradient(fx, rec->theta[t - 1], use, g);
          matches += ref_relative_error(step, g, P) <= 1e-10;
        }
    assert_int_equal(matches, 1);
  }
  /* B = n: the batch is every sample, the step GD's. */
  opt.batch = N_SAMPLES;
  memcpy(theta, fx->theta0, sizeof theta);
  rec->n_states = 0;
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  for (int64_t t = 1; t <= opt.steps; t++) {
    reference_gradient(fx, rec->theta[t - 1], NULL, g);
    for (int64_t j = 0; j < P; j++)
      step[j] = (rec->theta[t - 1][j] - rec->theta[t][j]) / opt.lr;
    assert_true(ref_relative_error(step, g, P) <= 1e-10);
  }
  expect_net_untouched(fx);
  free(rec);
}

/* The batch Jacobians of a model: a freed one waits and the next batch
 * of the same size takes it over (js_jacobian_reaim). Each must be the
 * Jacobian at its own (theta, batch) bit for bit: its outputs, J v and
 * J^T u against a Jacobian made afresh on a copy of the batch, in double,
 * single and mixed precision; a batch of another size, two operators alive
 * at once, and the model released before its last operator are fine
 * (the sanitizers watch the memory). */
static void expect_batch_jacobian(const js_model *model, const js_net *net,
                                  const js_dataset *data, const js_jacobian_options *opt,
                                  const double *theta, const int64_t *samples, int64_t nb,
                                  js_linop **keep_op) {
  enum { MAX_B = N_SAMPLES * N_OUT };
  double x[N_SAMPLES * DIM], f[MAX_B], f_fresh[MAX_B], v[P], u[MAX_B];
  double jv[MAX_B], jv_fresh[MAX_B], g[P], g_fresh[P];
  for (int64_t b = 0; b < nb; b++)
    memcpy(x + b * DIM, data->x + samples[b] * DIM, sizeof(double) * DIM);
  js_dataset batch = {.n_samples = nb, .dim = DIM, .n_outputs = N_OUT, .x = x};
  ref_fill_normal(v, P, 3);
  ref_fill_normal(u, nb * N_OUT, 4);
  js_linop *op = NULL, *fresh = NULL;
  assert_int_equal(model->jacobian(model->ctx, theta, samples, nb, f, &op), JS_OK);
  assert_int_equal(js_jacobian_create_outputs(net, theta, &batch, opt, f_fresh, &fresh), JS_OK);
  assert_int_equal(js_linop_apply(op, 1, v, jv), JS_OK);
  assert_int_equal(js_linop_apply(fresh, 1, v, jv_fresh), JS_OK);
  assert_int_equal(js_linop_apply_t(op, 1, u, g), JS_OK);
  assert_int_equal(js_linop_apply_t(fresh, 1, u, g_fresh), JS_OK);
  assert_memory_equal(f, f_fresh, sizeof(double) * (size_t)(nb * N_OUT));
  assert_memory_equal(jv, jv_fresh, sizeof(double) * (size_t)(nb * N_OUT));
  assert_memory_equal(g, g_fresh, sizeof g);
  js_linop_free(fresh);
  if (keep_op)
    *keep_op = op;
  else
    js_linop_free(op);
}

static void test_batch_jacobians_reused(void **state) {
  fixture *fx = *state;
  const int64_t first[3] = {4, 0, 7}, second[3] = {9, 2, 5}, four[4] = {1, 3, 6, 8};
  double theta[P];
  /* Mixed pairs are never parked (a fresh pair each batch): the same results. */
  for (int precision = JS_PRECISION_DOUBLE; precision <= JS_PRECISION_MIXED; precision++) {
    js_jacobian_options opt;
    js_jacobian_options_init_defaults(&opt);
    opt.precision = (js_precision)precision;
    js_model model;
    assert_int_equal(js_net_model_init(&model, fx->net, &fx->data, &opt), JS_OK);
    memcpy(theta, fx->theta0, sizeof theta);
    js_linop *alive = NULL;
    for (int round = 0; round < 3; round++) { /* the second and third reuse the first's */
      expect_batch_jacobian(&model, fx->net, &fx->data, &opt, theta, round % 2 ? second : first,
                            3, NULL);
      for (int64_t j = 0; j < P; j++)
        theta[j] += 0.1 * sin((double)(j + round));
    }
    expect_batch_jacobian(&model, fx->net, &fx->data, &opt, theta, four, 4, &alive);
    expect_batch_jacobian(&model, fx->net, &fx->data, &opt, theta, first, 3, NULL);
    js_model_release(&model); /* before the operator it made */
    double v[P], jv[4 * N_OUT];
    ref_fill_normal(v, P, 5);
    assert_int_equal(js_linop_apply(alive, 1, v, jv), JS_OK);
    js_linop_free(alive);
  }
  expect_net_untouched(fx);
}

/* SGD with report_every = E: the same steps, the residual only at 0, E,
 * 2E, ... and T, and there the same as when every step is reported. */
static void test_sgd_reports_every(void **state) {
  fixture *fx = *state;
  js_train_options opt = sgd_options();
  record *all = new_record(), *some = new_record();
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, all, theta), JS_OK);
  opt.report_every = 4;
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, some, theta), JS_OK);
  assert_int_equal(some->n_states, opt.steps + 1);
  for (int64_t t = 0; t <= opt.steps; t++) {
    int reported = t % 4 == 0 || t == opt.steps;
    assert_memory_equal(some->theta[t], all->theta[t], sizeof all->theta[t]);
    assert_int_equal(some->has_residual[t], reported);
    assert_true(all->has_residual[t]);
    if (reported) {
      assert_memory_equal(some->residual[t], all->residual[t], sizeof all->residual[t]);
      assert_true(some->loss[t] == all->loss[t]);
    } else {
      assert_true(isnan(some->loss[t]));
    }
  }
  free(all);
  free(some);
}

static void test_adam_matches_explicit(void **state) {
  fixture *fx = *state;
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.lr = 0.01;
  opt.optimizer = JS_OPTIM_ADAM;
  record *rec = new_record();
  double theta[P], want[P], g[P], m1[P] = {0}, m2[P] = {0};
  memcpy(theta, fx->theta0, sizeof theta);
  memcpy(want, fx->theta0, sizeof want);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  for (int64_t t = 0; t <= STEPS; t++) {
    assert_true(ref_relative_error(rec->theta[t], want, P) <= 1e-10);
    reference_gradient(fx, want, NULL, g);
    for (int64_t j = 0; j < P; j++) {
      m1[j] = 0.9 * m1[j] + 0.1 * g[j];
      m2[j] = 0.999 * m2[j] + 0.001 * g[j] * g[j];
      double mhat = m1[j] / (1 - pow(0.9, t + 1)), vhat = m2[j] / (1 - pow(0.999, t + 1));
      want[j] -= opt.lr * mhat / (sqrt(vhat) + 1e-8);
    }
  }
  expect_net_untouched(fx);
  free(rec);
}

static void test_callback_stops(void **state) {
  fixture *fx = *state;
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  record *rec = new_record();
  rec->stop_at = 3;
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  assert_int_equal(rec->n_states, 4);
  assert_memory_equal(theta, rec->theta[3], sizeof theta);
  assert_true(rec->dist[3] > 0 && rec->dist[0] == 0);
  expect_net_untouched(fx);
  free(rec);
}

static void test_divergence_names_the_step(void **state) {
  fixture *fx = *state;
  js_net *net = make_net(JS_ACT_QUADRATIC);
  js_model model;
  assert_int_equal(js_net_model_init(&model, net, &fx->data, NULL), JS_OK);
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = STEPS;
  opt.lr = 1e3; /* far beyond 1 / lambda_1^2 */
  record *rec = new_record();
  double theta[P];
  js_net_get_params(net, theta);
  int status = js_train(&model, fx->y, &opt, keep, rec, theta);
  char step[32];
  snprintf(step, sizeof step, "step %lld", (long long)rec->n_states);
  assert_failure(status, JS_ENUMERIC, "loss", step, NULL);
  assert_true(rec->n_states >= 1 && rec->n_states <= STEPS);
  js_model_release(&model);
  js_net_free(net);
  free(rec);
}

/* The remainder of the first-order expansion at theta_0, from the
 * reference network: ||f(theta) - f(theta_0) - J_0 (theta - theta_0)||. */
static double reference_taylor(fixture *fx, const double *theta) {
  double j0[M * P], f0[M], f[M], step[P], lin[M];
  js_net_set_params(fx->ref, fx->theta0);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, j0);
  ref_forward(&fx->arch, fx->ref, fx->x, N_SAMPLES, f0);
  js_net_set_params(fx->ref, theta);
  ref_forward(&fx->arch, fx->ref, fx->x, N_SAMPLES, f);
  for (int64_t j = 0; j < P; j++)
    step[j] = theta[j] - fx->theta0[j];
  ref_apply(j0, M, P, 0, 1, step, lin);
  double rem = 0;
  for (int64_t i = 0; i < M; i++)
    rem += (f[i] - f0[i] - lin[i]) * (f[i] - f0[i] - lin[i]);
  return sqrt(rem);
}

/* What train_measured measures. */
typedef struct measures {
  int taylor;           /* the Taylor remainder */
  int64_t overlap_rank; /* the overlap of this rank (0: none) */
  int jacobian_change;  /* ||J_t - J_0||_2 / ||J_0||_2 */
  js_optimizer optimizer;
} measures;

/* The states of `steps` steps of size eta from theta_0 (GD unless `what`
 * names SGD; batches of 4), measured every `every` steps. */
static record *train_measured(fixture *fx, int64_t steps, double eta, measures what,
                              int64_t every) {
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = steps;
  opt.lr = eta;
  opt.optimizer = what.optimizer;
  opt.batch = 4;
  opt.taylor = what.taylor;
  opt.overlap_rank = what.overlap_rank;
  opt.jacobian_change = what.jacobian_change;
  opt.measure_every = every;
  record *rec = new_record();
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_int_equal(js_train(&fx->model, fx->y, &opt, keep, rec, theta), JS_OK);
  return rec;
}

/* The Taylor remainder of one GD step of size eta. */
static double one_step_taylor(fixture *fx, double eta) {
  record *rec = train_measured(fx, 1, eta, (measures){.taylor = 1}, 1);
  double rem = rec->taylor[1];
  free(rec);
  return rem;
}

/* On the tanh net (smooth): exactly 0 at theta_0, the explicit remainder
 * at every step, and O(||theta_t - theta_0||^2): one step of eta / 2
 * moves theta half as far, so the remainder falls about fourfold (the
 * cubic term makes it 4 (1 + O(eta)); accepted within 3.6..4.4). */
static void test_taylor_remainder(void **state) {
  fixture *fx = *state;
  record *rec = train_measured(fx, STEPS, 0.05, (measures){.taylor = 1}, 5);
  assert_true(rec->taylor[0] == 0);
  for (int64_t t = 1; t <= STEPS; t++) {
    if (t % 5) {
      assert_true(isnan(rec->taylor[t]));
      continue;
    }
    double want = reference_taylor(fx, rec->theta[t]);
    assert_true(want > 0 && fabs(rec->taylor[t] - want) <= 1e-8 * want + 1e-13);
  }
  double ratio = one_step_taylor(fx, 0.1) / one_step_taylor(fx, 0.05);
  print_message("Taylor remainder at T = %d: %.3g at ||theta_T - theta_0|| = %.3g; "
                "halving one step divides it by %.4f\n", STEPS, rec->taylor[STEPS],
                rec->dist[STEPS], ratio);
  assert_true(ratio > 3.6 && ratio < 4.4);
  expect_net_untouched(fx);
  free(rec);
}

/* ||U_0^T U_t||_F^2 / r from the dense SVDs of the explicit J(theta_0)
 * and J(theta). */
static double reference_overlap(fixture *fx, const double *theta, int64_t r) {
  double j[M * P], s[MN], u0[M * MN], ut[M * MN], v[P * MN];
  js_net_set_params(fx->ref, fx->theta0);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, j);
  assert_int_equal(dense_svd(j, M, P, s, u0, v), 0);
  js_net_set_params(fx->ref, theta);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, j);
  assert_int_equal(dense_svd(j, M, P, s, ut, v), 0);
  double sum = 0;
  for (int64_t a = 0; a < r; a++)
    for (int64_t b = 0; b < r; b++) {
      double c = ref_dot(u0 + a * M, ut + b * M, M);
      sum += c * c;
    }
  return sum / (double)r;
}

static void test_space_overlap(void **state) {
  fixture *fx = *state;
  record *rec = train_measured(fx, STEPS, 0.2, (measures){.overlap_rank = 3}, 25);
  assert_true(fabs(rec->overlap[0] - 1) <= 1e-10 && isnan(rec->overlap[1]));
  assert_true(isnan(rec->taylor[STEPS])); /* not asked for */
  double want = reference_overlap(fx, rec->theta[STEPS], 3);
  print_message("overlap of I(theta_%d) with I(theta_0), r = 3: %.9f (dense: %.9f)\n",
                STEPS, rec->overlap[STEPS], want);
  assert_true(fabs(rec->overlap[STEPS] - want) <= 1e-8);
  assert_true(want < 1 - 1e-6); /* the space did move */
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.overlap_rank = MN; /* not below min(nK, p) */
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  assert_failure(js_train(&fx->model, fx->y, &opt, NULL, NULL, theta), JS_EINVAL, "rank",
                 NULL);
  free(rec);
}

/* ||J(theta) - J(theta_0)||_2 / ||J(theta_0)||_2 from the explicit
 * Jacobians of the reference network and LAPACK's SVDs. */
static double reference_change(fixture *fx, const double *theta) {
  double j0[M * P], j[M * P], s[MN], u[M * MN], v[P * MN];
  js_net_set_params(fx->ref, fx->theta0);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, j0);
  js_net_set_params(fx->ref, theta);
  ref_jacobian(&fx->arch, fx->ref, fx->x, N_SAMPLES, j);
  assert_int_equal(dense_svd(j0, M, P, s, u, v), 0);
  double norm0 = s[0];
  for (int64_t i = 0; i < M * P; i++)
    j[i] -= j0[i];
  assert_int_equal(dense_svd(j, M, P, s, u, v), 0);
  return s[0] / norm0;
}

/* GD (J(theta_t) held) and SGD (J(theta_t) made for the measurement):
 * exactly 0 at step 0, NaN between the measured steps, the explicit value
 * to 1e-6 at the others (GKL's bound is 1e-8), growing along the GD run. */
static void test_jacobian_change(void **state) {
  fixture *fx = *state;
  for (int sgd = 0; sgd <= 1; sgd++) {
    measures what = {.jacobian_change = 1, .optimizer = sgd ? JS_OPTIM_SGD : JS_OPTIM_GD};
    record *rec = train_measured(fx, STEPS, 0.2, what, 5);
    double worst = 0; /* relative error */
    assert_true(rec->change[0] == 0 && isnan(rec->overlap[0]) && isnan(rec->taylor[0]));
    for (int64_t t = 1; t <= STEPS; t++) {
      if (t % 5) {
        assert_true(isnan(rec->change[t]));
        continue;
      }
      double want = reference_change(fx, rec->theta[t]);
      if (!(fabs(rec->change[t] - want) <= 1e-6 * want))
        fail_msg("%s step %lld: jacobian_change %.12g, explicit %.12g", sgd ? "SGD" : "GD",
                 (long long)t, rec->change[t], want);
      worst = fmax(worst, fabs(rec->change[t] - want) / want);
      assert_true(sgd || rec->change[t] > rec->change[t - 5]); /* SGD's path wanders */
    }
    print_message("%s: ||J_T - J_0|| / ||J_0|| = %.6g at T = %d (||theta_T - theta_0|| = "
                  "%.3g), off the explicit by %.2g at most\n", sgd ? "SGD" : "GD",
                  rec->change[STEPS], STEPS, rec->dist[STEPS], worst);
    assert_true(rec->change[STEPS] > 1e-2); /* J did move */
    free(rec);
  }
  expect_net_untouched(fx);
}

static void test_bad_options(void **state) {
  fixture *fx = *state;
  js_train_options opt;
  double theta[P];
  memcpy(theta, fx->theta0, sizeof theta);
  js_train_options_init_defaults(&opt);
  opt.steps = 0;
  assert_failure(js_train(&fx->model, fx->y, &opt, NULL, NULL, theta), JS_EINVAL, "steps",
                 NULL);
  js_train_options_init_defaults(&opt);
  opt.lr = NAN;
  assert_failure(js_train(&fx->model, fx->y, &opt, NULL, NULL, theta), JS_EINVAL,
                 "learning rate", NULL);
  js_train_options_init_defaults(&opt);
  opt.optimizer = JS_OPTIM_SGD;
  opt.batch = N_SAMPLES + 1;
  assert_failure(js_train(&fx->model, fx->y, &opt, NULL, NULL, theta), JS_EINVAL, "batch",
                 NULL);
  js_model broken = fx->model;
  broken.forward = NULL;
  js_train_options_init_defaults(&opt);
  assert_failure(js_train(&broken, fx->y, &opt, NULL, NULL, theta), JS_EINVAL, "callback",
                 NULL);
  assert_memory_equal(theta, fx->theta0, sizeof theta);
}

/* On Gaussian-mixture data the residual's part on the information space of
 * J(theta_0) (the top K^2 C directions) falls much faster than its part on
 * the nuisance space (paper section 3.3, Figure 6a). */
typedef struct split_track {
  js_space *space;
  double info0, nuisance0, info, nuisance; /* ||Pi_I r_t||, ||Pi_N r_t|| */
} split_track;

static int track_split(void *ctx, const js_train_state *st) {
  split_track *tr = ctx;
  js_alignment a;
  assert_int_equal(js_space_align(tr->space, st->residual, NULL, &a), JS_OK);
  tr->info = a.info * a.norm;
  tr->nuisance = a.nuisance * a.norm;
  if (st->step == 0) {
    tr->info0 = tr->info;
    tr->nuisance0 = tr->nuisance;
  }
  return 0;
}

static void test_gmm_information_falls_faster(void **state) {
  (void)state;
  js_gmm_options g;
  js_gmm_options_init_defaults(&g);
  g.n_samples = 90;
  g.dim = 10;
  g.seed = 3;
  js_dataset *data = NULL;
  assert_int_equal(js_dataset_gmm(&g, &data), JS_OK);
  assert_int_equal(js_dataset_normalize(data), JS_OK);
  const int64_t gmm_widths[] = {g.dim, 40, g.n_classes};
  js_mlp_options no;
  js_mlp_options_init_defaults(&no);
  no.widths = gmm_widths;
  js_net *net = NULL;
  js_linop *op = NULL;
  js_svds_result *res = NULL;
  js_model model;
  assert_int_equal(js_net_create_mlp(&no, &net), JS_OK);
  assert_int_equal(js_jacobian_create(net, data, NULL, &op), JS_OK);
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = g.n_classes * g.n_classes * g.n_clusters; /* K^2 C */
  assert_int_equal(js_svds(op, &so, &res), JS_OK);
  split_track tr = {0};
  assert_int_equal(js_space_create(res, so.top, 0, &tr.space), JS_OK);

  assert_int_equal(js_net_model_init(&model, net, data, NULL), JS_OK);
  js_train_options opt;
  js_train_options_init_defaults(&opt);
  opt.steps = 100;
  double *theta = malloc(sizeof(double) * (size_t)js_net_n_params(net));
  js_net_get_params(net, theta);
  assert_int_equal(js_train(&model, data->y, &opt, track_split, &tr, theta), JS_OK);
  double info_left = tr.info / tr.info0, nuisance_left = tr.nuisance / tr.nuisance0;
  print_message("||Pi_I r_T|| / ||Pi_I r_0|| = %.3g, ||Pi_N r_T|| / ||Pi_N r_0|| = %.3g\n",
                info_left, nuisance_left);
  assert_true(info_left < 0.05 * nuisance_left && nuisance_left > 0.5);
  free(theta);
  js_model_release(&model);
  js_space_free(tr.space);
  js_svds_result_free(res);
  js_linop_free(op);
  js_net_free(net);
  js_dataset_free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linearized_closed_form),
      cmocka_unit_test(test_user_model),
      cmocka_unit_test(test_user_model_nonlinear),
      cmocka_unit_test(test_gd_matches_explicit),
      cmocka_unit_test(test_gd_matches_explicit_deep),
      cmocka_unit_test(test_sgd_steps_are_batch_gradients),
      cmocka_unit_test(test_sgd_reports_every),
      cmocka_unit_test(test_batch_jacobians_reused),
      cmocka_unit_test(test_adam_matches_explicit),
      cmocka_unit_test(test_callback_stops),
      cmocka_unit_test(test_divergence_names_the_step),
      cmocka_unit_test(test_taylor_remainder),
      cmocka_unit_test(test_space_overlap),
      cmocka_unit_test(test_jacobian_change),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_gmm_information_falls_faster),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* Gradient descent on 0.5 ||f(theta) - y||^2 (paper (1.5), doc/DESIGN.md
 * section 1) through a js_model: forward passes and J^T products only, so
 * memory stays O(nK + p). Optionally the linearised model
 * f_lin(theta) = f(theta_0) + J_0 (theta - theta_0) is trained side by side
 * by the same iteration (Theorem 1 of the lecture notes): its products
 * are those of J_0, the model's Jacobian at theta_0, held for the whole
 * run; each step of the real run takes the Jacobian at theta_t. At the
 * measured steps the run also records how far the model has left its
 * linearisation (the Taylor remainder), how far the information space
 * has turned from I(theta_0) and how far J itself has moved from J_0
 * (the adaptation of the paper's Tables 1-3).
 *
 * Letters: m = nK outputs, p parameters, n samples, K = m / n outputs per
 * sample, B the SGD batch. With a distributed model (model->comm) m, the
 * residuals and y are this rank's shard and theta is whole: the loss and
 * the distances between residuals sum over the ranks, and the gradient's
 * sum is the operator's (js_linop_set_shard): one per step. */
#include "core/blas.h"
#include "core/comm.h"
#include "core/error.h"
#include "core/rng.h"
#include "linop/linop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void js_train_options_init_defaults(js_train_options *opt) {
  *opt = (js_train_options){.steps = 100,
                            .lr = 0.0,
                            .optimizer = JS_OPTIM_GD,
                            .batch = 32,
                            .seed = 1,
                            .linearized = 0,
                            .beta1 = 0.9,
                            .beta2 = 0.999,
                            .epsilon = 1e-8,
                            .n_decays = 0,
                            .report_every = 1};
}

/* One run (the model, or its linearisation): parameters, residual,
 * gradient and the optimiser's moments. */
typedef struct run {
  double *theta;    /* p */
  double *residual; /* m */
  double *grad;     /* p */
  double *moment1, *moment2; /* p each, Adam only */
} run;

typedef struct trainer {
  const js_model *model;
  const js_train_options *opt;
  int64_t m, p, K;
  double base_lr;    /* eta before the schedule */
  double lr;         /* eta of the current update */
  const double *y;   /* m */
  double *theta0;    /* p */
  double *res0;      /* m: r_0, the linearisation's offset */
  double *work_m;    /* m */
  double *work_p;    /* p */
  double *batch_res; /* B K: the batch's rows of a residual */
  int64_t *order;    /* n: sample order, its first B entries the batch */
  js_rng rng;
  js_linop *jacobian; /* J_0: at theta_0 on all samples */
  js_linop *current;  /* GD, Adam: J(theta_t) on all samples, real.residual from
                         its forward pass; J_0 at the start */
  js_space *space0;   /* I(theta_0), with overlap_rank */
  double lambda0;     /* lambda_1 of J_0 once known (the automatic rate, the
                         Jacobian's change), else 0 */
  run real, lin;
} trainer;

static int check_args(const js_model *model, const double *y, const js_train_options *opt,
                      const double *theta) {
  if (!model || !y || !opt || !theta)
    return js_fail(JS_EINVAL, "train: NULL %s", !model ? "model" : !y ? "targets"
                                                  : !opt ? "options" : "parameters");
  if (!model->forward || !model->jacobian)
    return js_fail(JS_EINVAL, "train: the model lacks a forward or jacobian callback");
  if (model->n_samples < 1 || model->n_params < 1 || model->n_outputs < 1 ||
      model->n_outputs % model->n_samples != 0)
    return js_fail(JS_EINVAL, "train: model sizes n = %lld, nK = %lld, p = %lld: need "
                   "n, p >= 1 and nK a multiple of n", (long long)model->n_samples,
                   (long long)model->n_outputs, (long long)model->n_params);
  if (opt->steps < 1)
    return js_fail(JS_EINVAL, "train: %lld steps: need at least 1", (long long)opt->steps);
  if (isnan(opt->lr) || isinf(opt->lr))
    return js_fail(JS_EINVAL, "train: learning rate %g is not finite (<= 0 means "
                   "automatic)", opt->lr);
  if (opt->optimizer == JS_OPTIM_SGD &&
      (opt->batch < 1 || opt->batch > model->n_samples))
    return js_fail(JS_EINVAL, "train: SGD batch %lld must be in 1..n = %lld",
                   (long long)opt->batch, (long long)model->n_samples);
  if (opt->optimizer == JS_OPTIM_ADAM &&
      !(opt->beta1 >= 0 && opt->beta1 < 1 && opt->beta2 >= 0 && opt->beta2 < 1 &&
        opt->epsilon > 0 && isfinite(opt->epsilon)))
    return js_fail(JS_EINVAL, "train: Adam needs 0 <= beta1, beta2 < 1 and epsilon > 0 "
                   "(got %g, %g, %g)", opt->beta1, opt->beta2, opt->epsilon);
  if (opt->n_decays < 0 || opt->n_decays > JS_MAX_LR_DECAYS)
    return js_fail(JS_EINVAL, "train: %d learning-rate decays, at most %d", opt->n_decays,
                   JS_MAX_LR_DECAYS);
  for (int i = 0; i < opt->n_decays; i++)
    if (opt->decay_steps[i] < 1 || (i > 0 && opt->decay_steps[i] <= opt->decay_steps[i - 1]) ||
        !(opt->decay_factors[i] > 0 && isfinite(opt->decay_factors[i])))
      return js_fail(JS_EINVAL, "train: learning-rate decay %d (x%g at step %lld): steps must "
                     "ascend from 1 and factors be finite and > 0", i + 1,
                     opt->decay_factors[i], (long long)opt->decay_steps[i]);
  if (opt->optimizer != JS_OPTIM_GD && opt->optimizer != JS_OPTIM_SGD &&
      opt->optimizer != JS_OPTIM_ADAM)
    return js_fail(JS_EINVAL, "train: unknown optimizer %d", (int)opt->optimizer);
  if (opt->overlap_rank > 0 && js_comm_distributed(model->comm))
    return js_fail(JS_EINVAL, "train: the space overlap runs on one process (%d ranks)",
                   model->comm->size);
  if (opt->optimizer == JS_OPTIM_SGD && js_comm_distributed(model->comm))
    return js_fail(JS_EINVAL, "train: SGD over %d ranks is not supported (its batches "
                   "would be drawn across the shards): use gd or adam", model->comm->size);
  if (opt->report_every < 0)
    return js_fail(JS_EINVAL, "train: the loss reported every %lld steps: need an interval "
                   ">= 0", (long long)opt->report_every);
  if (opt->checkpoint_every < 0 || (opt->checkpoint_every > 0 && !opt->checkpoint))
    return js_fail(JS_EINVAL, "train: checkpoints every %lld steps need an interval >= 0 "
                   "and a callback", (long long)opt->checkpoint_every);
  int64_t min_dim = model->n_outputs < model->n_params ? model->n_outputs : model->n_params;
  if (opt->measure_every < 0 || opt->overlap_rank < 0 || opt->overlap_rank >= min_dim)
    return js_fail(JS_EINVAL, "train: measurements every %lld steps with an overlap of rank "
                   "%lld: need an interval >= 0 and a rank in 0..min(nK, p) - 1 = %lld",
                   (long long)opt->measure_every, (long long)opt->overlap_rank,
                   (long long)min_dim - 1);
  return JS_OK;
}

static int run_alloc(run *r, int64_t m, int64_t p, int adam) {
  r->theta = js_alloc((size_t)p, sizeof(double), "train: parameters");
  r->residual = js_alloc((size_t)m, sizeof(double), "train: residual");
  r->grad = js_alloc((size_t)p, sizeof(double), "train: gradient");
  int ok = r->theta && r->residual && r->grad;
  if (ok && adam) {
    r->moment1 = js_alloc((size_t)p, sizeof(double), "train: Adam moments");
    r->moment2 = js_alloc((size_t)p, sizeof(double), "train: Adam moments");
    ok = r->moment1 && r->moment2;
  }
  return ok ? JS_OK : JS_ENOMEM;
}

static void run_free(run *r) {
  free(r->theta);
  free(r->residual);
  free(r->grad);
  free(r->moment1);
  free(r->moment2);
}

static void trainer_free(trainer *t) {
  free(t->theta0);
  free(t->res0);
  free(t->work_m);
  free(t->work_p);
  free(t->batch_res);
  free(t->order);
  if (t->current != t->jacobian)
    js_linop_free(t->current);
  js_linop_free(t->jacobian);
  js_space_free(t->space0);
  run_free(&t->real);
  run_free(&t->lin);
}

/* The Taylor remainder is measured. */
static int taylor(const js_train_options *opt) {
  return opt->taylor && opt->measure_every > 0;
}

static int trainer_alloc(trainer *t) {
  int64_t m = t->m, p = t->p, n = t->model->n_samples;
  int adam = t->opt->optimizer == JS_OPTIM_ADAM;
  t->theta0 = js_alloc((size_t)p, sizeof(double), "train: theta_0");
  t->work_m = js_alloc((size_t)m, sizeof(double), "train: workspace");
  t->work_p = js_alloc((size_t)p, sizeof(double), "train: workspace");
  if (!t->theta0 || !t->work_m || !t->work_p || run_alloc(&t->real, m, p, adam))
    return JS_ENOMEM;
  if (t->opt->linearized || taylor(t->opt)) {
    t->res0 = js_alloc((size_t)m, sizeof(double), "train: r_0");
    if (!t->res0 || (t->opt->linearized && run_alloc(&t->lin, m, p, adam)))
      return JS_ENOMEM;
  }
  if (t->opt->optimizer == JS_OPTIM_SGD) {
    t->order = js_alloc((size_t)n, sizeof(int64_t), "train: sample order");
    t->batch_res = js_alloc((size_t)(t->opt->batch * t->K), sizeof(double),
                            "train: batch residual");
    if (!t->order || !t->batch_res)
      return JS_ENOMEM;
    for (int64_t i = 0; i < n; i++)
      t->order[i] = i;
  }
  return JS_OK;
}

/* The accuracy of ||J_t - J_0||_2: GKL stops when the residual bound is
 * CHANGE_TOL / 100 of the value (js_svds_options.tol), which bounds its
 * error. The Gram side would meet the same tol only with residuals near
 * sqrt(tol), above what js_svds still counts as a triplet. */
#define CHANGE_TOL 1e-6

/* *sigma = lambda_1 of op (0 for a zero operator), from the seed's start
 * vector: by js_svds's defaults, or by GKL to CHANGE_TOL (by_gkl). */
static int lambda_1(const trainer *t, js_linop *op, int by_gkl, double *sigma) {
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = 1;
  so.seed = t->opt->seed;
  so.want_vectors = 0;
  if (by_gkl) {
    so.method = JS_SVDS_GKL;
    so.tol = CHANGE_TOL;
  }
  js_svds_result *res = NULL;
  int status = js_svds(op, &so, &res);
  *sigma = status == JS_OK && res->rank > 0 ? res->sigma[0] : 0.0;
  js_svds_result_free(res);
  return status;
}

/* t->lambda0 = lambda_1 of J_0, solved once for either use (`what`). */
static int hold_lambda0(trainer *t, const char *what) {
  if (t->lambda0 > 0)
    return JS_OK;
  int status = lambda_1(t, t->jacobian, 0, &t->lambda0);
  if (status == JS_OK && !(t->lambda0 > 0))
    status = js_fail(JS_EINVAL, "train: lambda_1 of J(theta_0) is %g: no %s", t->lambda0,
                     what);
  return status;
}

/* eta = 1 / lambda_1^2 of J(theta_0): the largest step for which GD on the
 * linearised loss cannot diverge along u_1 (doc/DESIGN.md section 1). */
static int automatic_lr(trainer *t) {
  int status = hold_lambda0(t, "automatic learning rate");
  if (status == JS_OK)
    t->lr = 1.0 / (t->lambda0 * t->lambda0);
  return status;
}

/* SGD: the first B entries of order become a fresh uniform batch (a partial
 * Fisher-Yates shuffle). */
static void draw_batch(trainer *t) {
  int64_t n = t->model->n_samples, B = t->opt->batch;
  for (int64_t b = 0; b < B; b++) {
    int64_t j = b + (int64_t)js_rng_below(&t->rng, (uint64_t)(n - b));
    int64_t tmp = t->order[b];
    t->order[b] = t->order[j];
    t->order[j] = tmp;
  }
}

/* *loss = 0.5 ||r||^2 (length m; over comm's ranks), an error naming
 * `what` when it is not finite. */
static int loss_of(const js_comm *comm, int64_t m, const double *r, const char *what,
                   int64_t step, double *loss) {
  *loss = 0.5 * js_comm_dot(comm, m, r, r);
  if (!isfinite(*loss))
    return js_fail(JS_ENUMERIC, "train: the loss%s became %s at step %lld", what,
                   isnan(*loss) ? "NaN" : "Inf", (long long)step);
  return JS_OK;
}

/* r->grad = J(theta)^T r (GD, Adam: the operator held for theta, J(theta_t)
 * or J_0) or J_B(theta)^T r_B (SGD) for the update to theta_step. The real
 * SGD run takes r_B = f_B - y_B from the batch operator's own forward
 * pass; the linearised run (at theta_0) has its residual in r->residual. */
static int gradient(trainer *t, run *r, const double *theta, int64_t step) {
  int real = r == &t->real;
  if (t->opt->optimizer != JS_OPTIM_SGD)
    return js_linop_apply_t(real ? t->current : t->jacobian, 1, r->residual, r->grad);
  js_linop *op = NULL;
  int64_t B = t->opt->batch, K = t->K;
  double *res = t->batch_res, loss;
  int status = t->model->jacobian(t->model->ctx, theta, t->order, B, real ? res : NULL, &op);
  for (int64_t b = 0; !status && b < B; b++)
    for (int64_t l = 0; l < K; l++)
      res[b * K + l] = real ? res[b * K + l] - t->y[t->order[b] * K + l]
                            : r->residual[t->order[b] * K + l];
  if (!status && real)
    status = loss_of(NULL, B * K, res, " on the batch", step, &loss);
  if (!status)
    status = js_linop_apply_t(op, 1, res, r->grad);
  js_linop_free(op);
  return status;
}

/* theta_t = theta_{t-1} - eta * (the gradient, or Adam's corrected ratio). */
static void descend(const trainer *t, run *r, int64_t step) {
  const js_train_options *o = t->opt;
  if (o->optimizer != JS_OPTIM_ADAM) {
    js_axpy(t->p, -t->lr, r->grad, r->theta);
    return;
  }
  double c1 = 1.0 - pow(o->beta1, (double)step), c2 = 1.0 - pow(o->beta2, (double)step);
  for (int64_t j = 0; j < t->p; j++) {
    double g = r->grad[j];
    r->moment1[j] = o->beta1 * r->moment1[j] + (1.0 - o->beta1) * g;
    r->moment2[j] = o->beta2 * r->moment2[j] + (1.0 - o->beta2) * g * g;
    r->theta[j] -= t->lr * (r->moment1[j] / c1) / (sqrt(r->moment2[j] / c2) + o->epsilon);
  }
}

/* out = a - b (length n) and its norm, over comm's ranks (NULL: whole). */
static double distance(const js_comm *comm, int64_t n, const double *a, const double *b,
                       double *out) {
  for (int64_t i = 0; i < n; i++)
    out[i] = a[i] - b[i];
  return js_comm_nrm2(comm, n, out);
}

/* The real run's residual at its parameters by a forward pass (SGD: at
 * the steps that need it). */
static int real_residual(trainer *t, int64_t step, double *loss) {
  run *r = &t->real;
  int status = js_comm_agree(t->model->comm,
                             t->model->forward(t->model->ctx, r->theta, r->residual));
  if (status)
    return status;
  js_axpy(t->m, -1.0, t->y, r->residual);
  return loss_of(t->model->comm, t->m, r->residual, "", step, loss);
}

/* GD, Adam: t->current = J(theta_t) on all samples, whose forward pass
 * gives the real residual: the next gradient's operator and residual from
 * one pass. */
static int hold_current(trainer *t, int64_t step, double *loss) {
  run *r = &t->real;
  if (t->current != t->jacobian)
    js_linop_free(t->current);
  t->current = NULL;
  int status = js_comm_agree(t->model->comm,
                             t->model->jacobian(t->model->ctx, r->theta, NULL,
                                                t->model->n_samples, r->residual,
                                                &t->current));
  if (status)
    return status;
  js_axpy(t->m, -1.0, t->y, r->residual);
  return loss_of(t->model->comm, t->m, r->residual, "", step, loss);
}

/* Steps at which the callback sees the loss and the residual (SGD computes
 * them there only): 0, E, 2E, ... and T. */
static int reported(const js_train_options *o, int64_t step) {
  int64_t every = o->report_every > 0 ? o->report_every : 1;
  return step % every == 0 || step == o->steps;
}

/* Steps at which the adaptation is measured: 0, E, 2E, ... and T. */
static int measured(const js_train_options *o, int64_t step) {
  int64_t every = o->measure_every;
  return every > 0 && (step % every == 0 || step == o->steps);
}

/* out = r_0 + J_0 (theta - theta_0) = f(theta_0) + J_0 (theta - theta_0) - y:
 * the residual of the linearised model at theta (one product with J_0). */
static int linear_residual(trainer *t, const double *theta, double *out) {
  distance(NULL, t->p, theta, t->theta0, t->work_p);
  int status = js_linop_apply(t->jacobian, 1, t->work_p, out);
  if (!status)
    js_axpy(t->m, 1.0, t->res0, out);
  return status;
}

/* *out = I of the operator's top overlap_rank triplets. */
static int space_of(const trainer *t, js_linop *op, js_space **out) {
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = t->opt->overlap_rank;
  so.seed = t->opt->seed;
  so.want_vectors = 1;
  js_svds_result *res = NULL;
  int status = js_svds(op, &so, &res);
  if (!status)
    status = js_space_create(res, so.top, 0, out);
  js_svds_result_free(res);
  return status;
}

/* ||J(theta_t) - J_0||_2 / lambda_1(J_0), op = J(theta_t). */
static int jacobian_change(trainer *t, js_linop *op, double *change) {
  js_linop *difference = NULL;
  double sigma = 0;
  int status = js_linop_difference(op, t->jacobian, &difference);
  if (!status)
    status = lambda_1(t, difference, 1, &sigma);
  js_linop_free(difference);
  *change = sigma / t->lambda0;
  return status;
}

/* The adaptation at theta_t (real run): ||r_t - (r_0 + J_0 (theta_t -
 * theta_0))|| = ||f(theta_t) - f(theta_0) - J_0 (theta_t - theta_0)||, the
 * overlap of I(theta_t) with I(theta_0) and the change of J. */
static int measure(trainer *t, js_train_state *state) {
  int status = JS_OK;
  if (taylor(t->opt) && !(status = linear_residual(t, t->real.theta, t->work_m)))
    state->taylor_rem =
        distance(t->model->comm, t->m, t->real.residual, t->work_m, t->work_m);
  /* theta_0 is J_0's own point: no solve for a change of exactly 0. */
  int change = t->opt->jacobian_change && state->step > 0;
  if (t->opt->jacobian_change && !change)
    state->jacobian_change = 0;
  if (status || (!t->space0 && !change))
    return status;
  js_linop *op = t->current; /* GD, Adam: J(theta_t) is held */
  js_space *space = NULL;
  if (!op)
    status = t->model->jacobian(t->model->ctx, t->real.theta, NULL, t->model->n_samples,
                                NULL, &op);
  if (!status && t->space0 && !(status = space_of(t, op, &space)))
    status = js_space_overlap(t->space0, space, NULL, &state->space_overlap);
  if (!status && change)
    status = jacobian_change(t, op, &state->jacobian_change);
  js_space_free(space);
  if (op != t->current)
    js_linop_free(op);
  return status;
}

/* The schedule's eta for the update to theta_step. */
static double scheduled_lr(const trainer *t, int64_t step) {
  double lr = t->base_lr;
  for (int i = 0; i < t->opt->n_decays && t->opt->decay_steps[i] <= step; i++)
    lr *= t->opt->decay_factors[i];
  return lr;
}

/* One update of both runs from step - 1 to step, ending with the real
 * residual at theta_step where it is needed (*loss: NaN where not). */
static int take_step(trainer *t, int64_t step, double *loss) {
  const js_train_options *o = t->opt;
  int sgd = o->optimizer == JS_OPTIM_SGD;
  t->lr = scheduled_lr(t, step);
  if (sgd)
    draw_batch(t);
  int status = gradient(t, &t->real, t->real.theta, step);
  if (!status && o->linearized) {
    status = gradient(t, &t->lin, t->theta0, step);
    if (!status) {
      descend(t, &t->lin, step);
      status = linear_residual(t, t->lin.theta, t->lin.residual);
    }
  }
  if (status)
    return status;
  descend(t, &t->real, step);
  *loss = NAN;
  if (!sgd)
    return hold_current(t, step, loss);
  /* A full residual is a forward pass over all n samples, n / B times the
   * work of the step itself. */
  return reported(o, step) || measured(o, step) ? real_residual(t, step, loss) : JS_OK;
}

/* Calls the callback with the state after `step` (*stop: its answer);
 * returns the status of the measurements. */
static int report(trainer *t, int64_t step, double loss, js_train_callback callback,
                  void *ctx, int *stop) {
  *stop = 0;
  if (!callback)
    return JS_OK;
  int have_residual = !isnan(loss);
  js_train_state state = {.step = step,
                          .lr = t->lr,
                          .loss = loss,
                          .residual = have_residual ? t->real.residual : NULL,
                          .theta = t->real.theta,
                          .lin_gap = NAN,
                          .lin_dist = NAN,
                          .taylor_rem = NAN,
                          .space_overlap = NAN,
                          .jacobian_change = NAN};
  int status = measured(t->opt, step) ? measure(t, &state) : JS_OK;
  if (status)
    return status;
  state.dist_from_init = distance(NULL, t->p, t->real.theta, t->theta0, t->work_p);
  if (t->opt->linearized && have_residual) {
    state.lin_residual = t->lin.residual;
    state.lin_gap =
        distance(t->model->comm, t->m, t->real.residual, t->lin.residual, t->work_m);
    state.lin_dist = distance(NULL, t->p, t->real.theta, t->lin.theta, t->work_p);
  }
  *stop = callback(ctx, &state);
  return JS_OK;
}

/* ---------------------------------------------------------------- snapshots */

/* The state after `step`: what take_step reads besides the model, the
 * options and y. The real residual is left out: GD and Adam recompute it
 * on resume by the same pass that ended the step (J(theta_t)'s), and SGD
 * computes its batch residuals afresh. */
static int checkpoint(trainer *t, int64_t step) {
  js_train_snapshot s = {.step = step,
                         .lr = t->base_lr,
                         .theta0 = t->theta0,
                         .theta = t->real.theta,
                         .moment1 = t->real.moment1,
                         .moment2 = t->real.moment2,
                         .lin_theta = t->lin.theta,
                         .lin_residual = t->lin.residual,
                         .lin_moment1 = t->lin.moment1,
                         .lin_moment2 = t->lin.moment2,
                         .res0 = t->res0,
                         .order = t->order};
  memcpy(s.rng_state, t->rng.s, sizeof s.rng_state);
  return t->opt->checkpoint(t->opt->checkpoint_ctx, &s);
}

/* Every array the options need is there, the step and rate make sense and
 * the order holds sample indices. */
static int check_snapshot(const trainer *t, const js_train_snapshot *s) {
  const js_train_options *o = t->opt;
  int adam = o->optimizer == JS_OPTIM_ADAM;
  const char *missing = !s->theta0 || !s->theta                 ? "theta_0 or theta"
                        : adam && (!s->moment1 || !s->moment2) ? "Adam's moments"
                        : o->linearized && (!s->lin_theta || !s->lin_residual || !s->res0 ||
                                            (adam && (!s->lin_moment1 || !s->lin_moment2)))
                            ? "the linearised run"
                        : o->optimizer == JS_OPTIM_SGD && !s->order ? "the SGD sample order"
                                                                    : NULL;
  if (missing)
    return js_fail(JS_EINVAL, "train: the snapshot to resume from lacks %s", missing);
  if (s->step < 0 || s->step > o->steps || !(s->lr > 0) || !isfinite(s->lr))
    return js_fail(JS_EINVAL, "train: cannot resume at step %lld with learning rate %g of "
                   "a run of %lld steps", (long long)s->step, s->lr, (long long)o->steps);
  for (int64_t i = 0; s->order && o->optimizer == JS_OPTIM_SGD && i < t->model->n_samples; i++)
    if (s->order[i] < 0 || s->order[i] >= t->model->n_samples)
      return js_fail(JS_EINVAL, "train: the snapshot's sample order holds %lld, not a sample "
                     "0..%lld", (long long)s->order[i], (long long)t->model->n_samples - 1);
  return JS_OK;
}

static void copy_if(double *to, const double *from, int64_t n) {
  if (to && from)
    memcpy(to, from, sizeof(double) * (size_t)n);
}

/* J_0, the Jacobian at theta_0 on all samples, held for the whole run; f
 * (NULL: not wanted) receives f(theta_0). */
static int hold_j0(trainer *t, double *f) {
  return js_comm_agree(t->model->comm,
                       t->model->jacobian(t->model->ctx, t->theta0, NULL,
                                          t->model->n_samples, f, &t->jacobian));
}

/* What the measurements compare with at theta_0: I(theta_0) for the
 * overlap, lambda_1(J_0) for the Jacobian's change. */
static int hold_measures0(trainer *t) {
  const js_train_options *o = t->opt;
  int status = o->overlap_rank > 0 && o->measure_every > 0
                   ? space_of(t, t->jacobian, &t->space0)
                   : JS_OK;
  return !status && o->jacobian_change && o->measure_every > 0
             ? hold_lambda0(t, "relative change of the Jacobian")
             : status;
}

/* The trainer as it was after step s->step (checked by check_snapshot), the
 * model at theta_t. */
static int restore(trainer *t, const js_train_snapshot *s, double *loss) {
  int64_t p = t->p, m = t->m;
  t->base_lr = s->lr;
  t->lr = scheduled_lr(t, s->step + 1);
  copy_if(t->theta0, s->theta0, p);
  copy_if(t->real.theta, s->theta, p);
  copy_if(t->real.moment1, s->moment1, p);
  copy_if(t->real.moment2, s->moment2, p);
  copy_if(t->lin.theta, s->lin_theta, p);
  copy_if(t->lin.residual, s->lin_residual, m);
  copy_if(t->lin.moment1, s->lin_moment1, p);
  copy_if(t->lin.moment2, s->lin_moment2, p);
  copy_if(t->res0, s->res0, m);
  if (t->order)
    memcpy(t->order, s->order, sizeof(int64_t) * (size_t)t->model->n_samples);
  memcpy(t->rng.s, s->rng_state, sizeof t->rng.s);
  /* The Taylor remainder's r_0 = f(theta_0) - y, if the snapshot lacks it. */
  int recompute_res0 = t->res0 && !s->res0;
  int status = hold_j0(t, recompute_res0 ? t->res0 : NULL);
  if (!status && recompute_res0)
    js_axpy(t->m, -1.0, t->y, t->res0);
  if (!status)
    status = hold_measures0(t);
  *loss = NAN;
  return status || t->opt->optimizer == JS_OPTIM_SGD ? status : hold_current(t, s->step, loss);
}

/* theta_0 = theta: the residual, the automatic rate, the linearised run's
 * start. */
static int start(trainer *t, const double *theta, double *loss) {
  memcpy(t->theta0, theta, sizeof(double) * (size_t)t->p);
  memcpy(t->real.theta, theta, sizeof(double) * (size_t)t->p);
  int status = hold_j0(t, t->real.residual);
  if (!status) {
    js_axpy(t->m, -1.0, t->y, t->real.residual);
    status = loss_of(t->model->comm, t->m, t->real.residual, "", 0, loss);
  }
  if (t->opt->optimizer != JS_OPTIM_SGD)
    t->current = t->jacobian;
  if (!status && t->opt->lr <= 0)
    status = automatic_lr(t);
  t->base_lr = t->lr;
  t->lr = scheduled_lr(t, 1);
  if (!status && t->res0)
    memcpy(t->res0, t->real.residual, sizeof(double) * (size_t)t->m);
  if (!status && t->opt->linearized) {
    /* At theta~_0 = theta_0 the two models agree. */
    memcpy(t->lin.theta, theta, sizeof(double) * (size_t)t->p);
    memcpy(t->lin.residual, t->real.residual, sizeof(double) * (size_t)t->m);
  }
  return status ? status : hold_measures0(t);
}

/* ---------------------------------------------------------------- the loop */

int js_train(const js_model *model, const double *y, const js_train_options *opt,
             js_train_callback callback, void *ctx, double *theta) {
  int status = check_args(model, y, opt, theta);
  if (status)
    return status;
  trainer t = {.model = model, .opt = opt, .m = model->n_outputs, .p = model->n_params,
               .K = model->n_outputs / model->n_samples, .lr = opt->lr, .y = y};
  js_rng_seed(&t.rng, opt->seed);
  double loss;
  int started = 0; /* real.theta holds the parameters reached */
  if ((status = js_comm_agree(model->comm, trainer_alloc(&t))) ||
      (opt->resume && (status = check_snapshot(&t, opt->resume))))
    goto done;
  started = 1; /* start and restore copy the parameters first */
  status = opt->resume ? restore(&t, opt->resume, &loss) : start(&t, theta, &loss);
  if (status)
    goto done;
  int64_t first = opt->resume ? opt->resume->step + 1 : 1;
  int stop = 0;
  if (!opt->resume && (status = report(&t, 0, loss, callback, ctx, &stop)))
    goto done;
  for (int64_t step = first; step <= opt->steps && !stop && !status; step++) {
    /* Agreed, as in arpack.c: the ranks stop at the same step. */
    status = js_cancel_requested() ? js_fail(JS_ECANCELED, "train: interrupted at step "
                                             "%lld of %lld", (long long)step - 1,
                                             (long long)opt->steps)
                                   : JS_OK;
    if ((status = js_comm_agree(model->comm, status)))
      break;
    status = take_step(&t, step, &loss);
    if (!status)
      status = report(&t, step, loss, callback, ctx, &stop);
    if (!status && !stop && opt->checkpoint_every && step % opt->checkpoint_every == 0)
      status = checkpoint(&t, step);
  }
done:
  if (started)
    memcpy(theta, t.real.theta, sizeof(double) * (size_t)t.p);
  trainer_free(&t);
  return status;
}

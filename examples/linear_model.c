/* The linear model of the paper's section 2.1 (Figure 2): gradient descent
 * on 0.5 ||X w - y||^2 from w = 0, with X = U V^T + Z low rank plus noise
 * and noisy labels. The test error first falls (the fit along the few
 * strong directions, the information space) and then rises again (the fit
 * along the many weak ones, the nuisance space, which is noise).
 *
 * The model is the network without hidden layer, f(x) = W_1 x (K = 1), so
 * J = X; I and N on the test inputs are the spaces of J on them, and the
 * test error 0.5 ||r||^2 splits into 0.5 ||Pi_I r||^2 + 0.5 ||Pi_N r||^2.
 *
 *   build/examples/linear_model [n] [d] [r] [steps]
 * The paper's size (the default): linear_model 100 500 10 100
 */
#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct curve {
  const js_model *test_model; /* f(theta) on the test inputs */
  const js_dataset *test;
  const js_space *space; /* of J on the test inputs */
  double *residual;      /* test residual, n_test */
  double *error;         /* per step: 0.5 ||r||^2 on the test data */
  int status;
} curve;

static int test_error(void *ctx, const js_train_state *st) {
  curve *c = ctx;
  const js_dataset *test = c->test;
  js_alignment a;
  if ((c->status = c->test_model->forward(c->test_model->ctx, st->theta, c->residual)))
    return 1;
  for (int64_t i = 0; i < test->n_samples; i++)
    c->residual[i] -= test->y[i];
  if ((c->status = js_space_align(c->space, c->residual, NULL, &a)))
    return 1;
  double total = 0.5 * a.norm * a.norm, info = total * a.info * a.info;
  c->error[st->step] = total;
  printf("%6lld  %12.6f  %12.6f  %12.6f  %12.6f\n", (long long)st->step, st->loss, total,
         info, total - info);
  return 0;
}

int main(int argc, char **argv) {
  js_lowrank_options lr;
  js_lowrank_options_init_defaults(&lr); /* n = 100, d = 500, r = 10, sigmas 1 */
  if (argc > 3) {
    lr.n_samples = atoll(argv[1]);
    lr.dim = atoll(argv[2]);
    lr.rank = atoll(argv[3]);
  }
  js_train_options opt;
  js_train_options_init_defaults(&opt); /* GD */
  opt.steps = argc > 4 ? atoll(argv[4]) : 100;
  opt.lr = 0.02; /* eta lambda_1^2 ~ 0.2: the dip spreads over several steps */

  js_dataset *train = NULL, *test = NULL;
  js_net *net = NULL;
  js_linop *jacobian = NULL;
  js_svds_result *res = NULL;
  js_space *space = NULL;
  js_model model = {0}, test_model = {0};
  curve c = {0};
  double *w = NULL;
  int rc = 1;
  js_lowrank_options test_opt = lr;
  test_opt.seed = lr.seed + 1; /* same task (V, w*), new samples */
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt);
  net_opt.n_layers = 1; /* f(x) = W_1 x */
  int64_t widths[2] = {lr.dim, 1};
  net_opt.widths = widths;
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = lr.rank;
  if (js_dataset_lowrank(&lr, &train) || js_dataset_lowrank(&test_opt, &test) ||
      js_net_create_mlp(&net_opt, &net) || js_jacobian_create(net, test, NULL, &jacobian) ||
      js_svds(jacobian, &so, &res) || js_space_create(res, lr.rank, 0, &space) ||
      js_net_model_init(&model, net, train, NULL) ||
      js_net_model_init(&test_model, net, test, NULL))
    goto done;
  w = calloc((size_t)lr.dim, sizeof *w); /* w_0 = 0, as in the paper */
  c = (curve){.test_model = &test_model, .test = test, .space = space,
              .residual = malloc(sizeof(double) * (size_t)test->n_samples),
              .error = malloc(sizeof(double) * (size_t)(opt.steps + 1))};
  if (!w || !c.residual || !c.error)
    goto done;
  printf("%6s  %12s  %12s  %12s  %12s\n", "step", "train loss", "test error", "on I",
         "on N");
  if (js_train(&model, train->y, &opt, test_error, &c, w) || c.status)
    goto done;
  int64_t best = 0;
  for (int64_t t = 1; t <= opt.steps; t++)
    if (c.error[t] < c.error[best])
      best = t;
  printf("lowest test error %.6f at step %lld, %.6f at the end\n", c.error[best],
         (long long)best, c.error[opt.steps]);
  /* The dip of Figure 2a: down first, then up. */
  rc = !(best > 0 && best < opt.steps && c.error[opt.steps] > c.error[best]);
  if (rc)
    fprintf(stderr, "linear_model: no dip in the test error\n");
done:
  if (rc && js_last_error()[0])
    fprintf(stderr, "linear_model: %s\n", js_last_error());
  free(w);
  free(c.residual);
  free(c.error);
  js_model_release(&model);
  js_model_release(&test_model);
  js_space_free(space);
  js_svds_result_free(res);
  js_linop_free(jacobian);
  js_net_free(net);
  js_dataset_free(train);
  js_dataset_free(test);
  return rc;
}

/* The linear model of the paper's section 2.1 (Figure 2): gradient descent
 * on 0.5 ||X w - y||^2 from w = 0, with X = U V^T + Z low rank plus noise
 * and noisy labels y = U V^T w* + z. The expected test error
 *   E L(w) = 0.5 ||U V^T (w - w*)||^2 + 0.5 (sigma_x^2 ||w||^2 + sigma_y^2)
 * (the mean over new noise Z, z on the same clean part U V^T) first falls
 * and then rises (Figure 2a). Figure 2b splits the misfit X w - y on the
 * column space span(U) of the clean inputs (Pi_I = U U^T, the information
 * space) and its complement (Pi_N = I - U U^T, the nuisance space):
 *   E L_I(w) = 0.5 ||V^T w - g||^2 + r / (2n) (sigma_x^2 ||w||^2 + sigma_y^2)
 *   E L_N(w) = 0.5 (1 - r/n) (sigma_x^2 ||w||^2 + sigma_y^2)
 * (w* = V g, so ||U V^T (w - w*)|| = ||V^T w - g||; Z w - z has i.i.d.
 * N(0, (sigma_x^2 ||w||^2 + sigma_y^2) / n) entries, of which a fraction
 * r / n of the energy falls on span(U)). E L_N rises monotonically from
 * 0.5 (1 - r/n) sigma_y^2 (0.45 at the paper's size) as ||w|| grows
 * (every component of w along the right singular vectors of X grows
 * monotonically from 0 under GD with eta lambda_1^2 < 1); E L_I falls
 * monotonically while E L does, which makes the dip. Later E L_I rises
 * too: with sigma_x = 1 the noise Z (||Z|| ~ 1 + sqrt(d/n)) outweighs the
 * clean singular values 1, and fitting the training noise moves V^T w away
 * from g (at the paper's size: 4.24 at step 0, lowest 3.81 at step 8,
 * 4.65 at step 100).
 *
 * The formulas are checked against the split itself: the mean over M test
 * sets (js_lowrank_options.noise_seed: the same U, V and w*, new noise) of
 * 0.5 ||U U^T (X w - y)||^2 and 0.5 ||(I - U U^T)(X w - y)||^2, with U from
 * js_lowrank_basis, within 5 standard errors at every step.
 *
 *   build/examples/linear_model [n] [d] [r] [steps]
 * The paper's size (the default): linear_model 100 500 10 100
 */
#include <jacspec.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DRAWS = 40 }; /* M test sets */

typedef struct curve {
  js_lowrank_options model;
  double *u, *v, *w_star; /* U (n x r), V (d x r), column after column; w* (d) */
  js_dataset *tests[DRAWS];
  double *info, *nuisance; /* per step: E L_I, E L_N */
  int failed;
} curve;

/* 0.5 ||Pi_I (X w - y)||^2 and 0.5 ||Pi_N (X w - y)||^2 on one test set. */
static void split(const curve *c, const js_dataset *test, const double *w, double *info,
                  double *nuisance) {
  int64_t n = c->model.n_samples, d = c->model.dim, r = c->model.rank;
  double *misfit = malloc(sizeof(double) * (size_t)n), total = 0, on_u = 0;
  for (int64_t i = 0; i < n; i++) {
    misfit[i] = -test->y[i];
    for (int64_t j = 0; j < d; j++)
      misfit[i] += test->x[i * d + j] * w[j];
    total += misfit[i] * misfit[i];
  }
  for (int64_t s = 0; s < r; s++) { /* ||U^T m||^2 = ||U U^T m||^2 */
    double coef = 0;
    for (int64_t i = 0; i < n; i++)
      coef += c->u[s * n + i] * misfit[i];
    on_u += coef * coef;
  }
  *info = 0.5 * on_u;
  *nuisance = 0.5 * (total - on_u);
  free(misfit);
}

static int track(void *ctx, const js_train_state *st) {
  curve *c = ctx;
  const js_lowrank_options *m = &c->model;
  int64_t n = m->n_samples, d = m->dim, r = m->rank;
  const double *w = st->theta;
  /* The closed forms: ||V^T w - g|| = ||V^T (w - w*)||, V^T w* = g. */
  double clean = 0, w2 = 0;
  for (int64_t s = 0; s < r; s++) {
    double coef = 0;
    for (int64_t j = 0; j < d; j++)
      coef += c->v[s * d + j] * (w[j] - c->w_star[j]);
    clean += coef * coef;
  }
  for (int64_t j = 0; j < d; j++)
    w2 += w[j] * w[j];
  double noise = m->sigma_x * m->sigma_x * w2 + m->sigma_y * m->sigma_y;
  double info = 0.5 * clean + (double)r / (2.0 * (double)n) * noise;
  double nuisance = 0.5 * (1.0 - (double)r / (double)n) * noise;
  /* The same from the M test sets: mean and standard error of the mean. */
  double sum[2] = {0}, sum2[2] = {0};
  for (int k = 0; k < DRAWS; k++) {
    double part[2];
    split(c, c->tests[k], w, &part[0], &part[1]);
    for (int q = 0; q < 2; q++) {
      sum[q] += part[q];
      sum2[q] += part[q] * part[q];
    }
  }
  double mean[2], stderr_[2], want[2] = {info, nuisance};
  for (int q = 0; q < 2; q++) {
    mean[q] = sum[q] / DRAWS;
    stderr_[q] = sqrt(fmax(sum2[q] / DRAWS - mean[q] * mean[q], 0) / (DRAWS - 1));
    if (fabs(mean[q] - want[q]) > 5 * stderr_[q]) {
      fprintf(stderr, "linear_model: step %lld: E L_%c = %.6f, but the %d test sets give "
              "%.6f +- %.6f\n", (long long)st->step, q ? 'N' : 'I', want[q], DRAWS, mean[q],
              stderr_[q]);
      c->failed = 1;
    }
  }
  c->info[st->step] = info;
  c->nuisance[st->step] = nuisance;
  printf("%6lld  %12.6f  %12.6f  %12.6f  %12.6f  %12.6f  %12.6f\n", (long long)st->step,
         st->loss, info + nuisance, info, nuisance, mean[0], mean[1]);
  return 0;
}

int main(int argc, char **argv) {
  curve c = {0};
  js_lowrank_options *lr = &c.model;
  js_lowrank_options_init_defaults(lr); /* n = 100, d = 500, r = 10, sigmas 1 */
  if (argc > 3) {
    lr->n_samples = atoll(argv[1]);
    lr->dim = atoll(argv[2]);
    lr->rank = atoll(argv[3]);
  }
  js_train_options opt;
  js_train_options_init_defaults(&opt); /* GD */
  opt.steps = argc > 4 ? atoll(argv[4]) : 100;
  opt.lr = 0.02; /* eta lambda_1^2 ~ 0.2: the dip spreads over several steps */

  js_dataset *train = NULL;
  js_net *net = NULL;
  js_model model = {0};
  double *w = NULL;
  int rc = 1;
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt);
  net_opt.n_layers = 1; /* f(x) = W_1 x */
  int64_t widths[2] = {lr->dim, 1};
  net_opt.widths = widths;
  int64_t n = lr->n_samples, d = lr->dim, r = lr->rank;
  c.u = malloc(sizeof(double) * (size_t)(n * r));
  c.v = malloc(sizeof(double) * (size_t)(d * r));
  c.w_star = malloc(sizeof(double) * (size_t)d);
  c.info = malloc(sizeof(double) * (size_t)(opt.steps + 1));
  c.nuisance = malloc(sizeof(double) * (size_t)(opt.steps + 1));
  w = calloc((size_t)d, sizeof *w); /* w_0 = 0, as in the paper */
  if (!c.u || !c.v || !c.w_star || !c.info || !c.nuisance || !w ||
      js_lowrank_basis(lr, c.u, c.v, c.w_star) || js_dataset_lowrank(lr, &train) ||
      js_net_create_mlp(&net_opt, &net) || js_net_model_init(&model, net, train, NULL))
    goto done;
  for (int k = 0; k < DRAWS; k++) {
    js_lowrank_options test_opt = *lr;
    test_opt.noise_seed = 1000 + (uint64_t)k; /* the same U V^T and w*, new noise */
    if (js_dataset_lowrank(&test_opt, &c.tests[k]))
      goto done;
  }
  printf("%6s  %12s  %12s  %12s  %12s  %12s  %12s\n", "step", "train loss", "E L", "E L_I",
         "E L_N", "L_I (tests)", "L_N (tests)");
  if (js_train(&model, train->y, &opt, track, &c, w) || c.failed)
    goto done;
  int64_t best = 0, info_best = 0, nuisance_down = 0;
  for (int64_t t = 1; t <= opt.steps; t++) {
    if (c.info[t] + c.nuisance[t] < c.info[best] + c.nuisance[best])
      best = t;
    if (c.info[t] < c.info[info_best])
      info_best = t;
    nuisance_down += c.nuisance[t] < c.nuisance[t - 1];
  }
  int64_t info_up = 0; /* steps up to E L's lowest at which E L_I rose */
  for (int64_t t = 1; t <= best; t++)
    info_up += c.info[t] >= c.info[t - 1];
  double start = 0.5 * (1.0 - (double)r / (double)n) * lr->sigma_y * lr->sigma_y;
  printf("E L: %.6f, lowest %.6f at step %lld, %.6f at the end\n"
         "E L_I: %.6f, lowest %.6f at step %lld, %.6f at the end\n"
         "E L_N: %.6f rising to %.6f (fell at %lld steps)\n",
         c.info[0] + c.nuisance[0], c.info[best] + c.nuisance[best], (long long)best,
         c.info[opt.steps] + c.nuisance[opt.steps], c.info[0], c.info[info_best],
         (long long)info_best, c.info[opt.steps], c.nuisance[0], c.nuisance[opt.steps],
         (long long)nuisance_down);
  /* Figure 2a's dip, and Figure 2b: E L_N rises monotonically from
   * 0.5 (1 - r/n) sigma_y^2, E L_I falls monotonically down to the dip. */
  rc = !(best > 0 && best < opt.steps &&
         c.info[opt.steps] + c.nuisance[opt.steps] > c.info[best] + c.nuisance[best]);
  if (rc)
    fprintf(stderr, "linear_model: no dip in the expected test error\n");
  if (fabs(c.nuisance[0] - start) > 1e-12 || nuisance_down || info_up) {
    fprintf(stderr, "linear_model: E L_N does not rise from %.6f or E L_I does not fall\n",
            start);
    rc = 1;
  }
done:
  if (rc && js_last_error()[0])
    fprintf(stderr, "linear_model: %s\n", js_last_error());
  free(w);
  free(c.u);
  free(c.v);
  free(c.w_star);
  free(c.info);
  free(c.nuisance);
  for (int k = 0; k < DRAWS; k++)
    js_dataset_free(c.tests[k]);
  js_model_release(&model);
  js_net_free(net);
  js_dataset_free(train);
  return rc;
}

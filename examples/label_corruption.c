/* A label-corruption sweep (the paper's section 4, Figure 9): as a larger
 * fraction of the training labels is moved to another class, more of the
 * label vector y lies on the nuisance space N of the Jacobian, and the
 * test error of the trained network rises with it.
 *
 * Training and test sets are two parts of one Gaussian-mixture draw (the
 * same cluster centres); J(theta_0) does not depend on the labels, so one
 * information space (its top K^2 C directions) serves every fraction.
 *
 *   build/examples/label_corruption [n_train] [hidden] [steps]
 * A larger run: label_corruption 1200 256 400
 */
#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 3, C = 2 };

/* Samples first..first+n-1 of all as a new data set. */
static int part(const js_dataset *all, int64_t first, int64_t n, js_dataset **out) {
  int status = js_dataset_create(n, all->dim, all->n_outputs, 1, out);
  if (status)
    return status;
  memcpy((*out)->x, all->x + first * all->dim, sizeof(double) * (size_t)(n * all->dim));
  memcpy((*out)->labels, all->labels + first, sizeof(int32_t) * (size_t)n);
  return js_dataset_one_hot(*out);
}

/* The fraction of test samples whose largest output is not their class. */
static double test_error(const js_net *net, const js_dataset *test, double *f) {
  if (js_net_forward(net, test->x, test->n_samples, f))
    return -1;
  int64_t wrong = 0;
  for (int64_t i = 0; i < test->n_samples; i++) {
    int best = 0;
    for (int l = 1; l < K; l++)
      if (f[i * K + l] > f[i * K + best])
        best = l;
    wrong += best != test->labels[i];
  }
  return (double)wrong / (double)test->n_samples;
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 300;
  int64_t hidden = argc > 2 ? atoll(argv[2]) : 64;
  js_train_options opt;
  js_train_options_init_defaults(&opt); /* GD, eta = 1 / lambda_1^2 */
  opt.steps = argc > 3 ? atoll(argv[3]) : 200;
  const double fractions[] = {0, 0.25, 0.5, 0.75, 1};
  enum { N_FRACTIONS = sizeof fractions / sizeof fractions[0] };

  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm);
  gmm.n_samples = 2 * n; /* half for training, half for testing */
  gmm.n_classes = K;
  gmm.n_clusters = C;
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt);
  int64_t widths[3] = {gmm.dim, hidden, K};
  net_opt.widths = widths;
  js_svds_options so;
  js_svds_options_init_defaults(&so);
  so.top = K * K * C;
  js_dataset *all = NULL, *test = NULL, *train = NULL;
  js_net *net = NULL;
  js_linop *jacobian = NULL;
  js_svds_result *res = NULL;
  js_space *space = NULL;
  js_model model = {0};
  double *theta0 = NULL, *theta = NULL, *f = NULL;
  double nuisance[N_FRACTIONS], error[N_FRACTIONS];
  int rc = 1;
  if (js_dataset_gmm(&gmm, &all) || js_dataset_normalize(all) || part(all, n, n, &test) ||
      part(all, 0, n, &train) || js_net_create_mlp(&net_opt, &net) ||
      js_jacobian_create(net, train, NULL, &jacobian) || js_svds(jacobian, &so, &res) ||
      js_space_create(res, so.top, 0, &space) ||
      js_net_model_init(&model, net, train, NULL))
    goto done;
  int64_t p = js_net_n_params(net);
  theta0 = malloc(sizeof(double) * (size_t)p);
  theta = malloc(sizeof(double) * (size_t)p);
  f = malloc(sizeof(double) * (size_t)(n * K));
  if (!theta0 || !theta || !f)
    goto done;
  js_net_get_params(net, theta0);
  printf("%8s  %14s  %12s\n", "corrupt", "|Pi_N y|/|y|", "test error");
  for (int k = 0; k < N_FRACTIONS; k++) {
    js_alignment a;
    /* Corrupt a fresh copy of the clean labels; train from the same W_0. */
    memcpy(train->labels, all->labels, sizeof(int32_t) * (size_t)n);
    memcpy(theta, theta0, sizeof(double) * (size_t)p);
    if (js_dataset_corrupt_labels(train, fractions[k], 7, NULL) ||
        js_space_align(space, train->y, NULL, &a) ||
        js_train(&model, train->y, &opt, NULL, NULL, theta))
      goto done;
    js_net_set_params(net, theta);
    if ((error[k] = test_error(net, test, f)) < 0)
      goto done;
    nuisance[k] = a.nuisance;
    printf("%7.0f%%  %14.4f  %12.4f\n", 100 * fractions[k], nuisance[k], error[k]);
  }
  /* Figure 9: both rise with the corruption. */
  rc = !(nuisance[N_FRACTIONS - 1] > nuisance[0] + 0.2 &&
         error[N_FRACTIONS - 1] > error[0] + 0.2);
  if (rc)
    fprintf(stderr, "label_corruption: the nuisance fraction and test error did not rise\n");
done:
  if (rc && js_last_error()[0])
    fprintf(stderr, "label_corruption: %s\n", js_last_error());
  free(theta0);
  free(theta);
  free(f);
  js_model_release(&model);
  js_space_free(space);
  js_svds_result_free(res);
  js_linop_free(jacobian);
  js_net_free(net);
  js_dataset_free(train);
  js_dataset_free(test);
  js_dataset_free(all);
  return rc;
}

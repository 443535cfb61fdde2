/* The Gaussian mixture of the paper's section 3.3 (Figure 4): with K
 * classes of C clusters, the Jacobian has K^2 C large singular values
 * (K outputs times KC distinct inputs, blurred by sigma) that stand apart
 * from the rest and grow like sqrt(n); the normalised values
 * sqrt(KC/n) lambda_s stay put when n grows.
 *
 *   build/examples/gmm_spectrum [n] [hidden]
 * runs n and 4n samples. The paper's setting: K = 3, sigma = 0.1,
 * centres 0.5 apart: gmm_spectrum 180 256 (n = 30 KC and 120 KC).
 */
#include <jacspec.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { K = 3, C = 2, TOP = K * K * C + 6 };

/* lambda_1..lambda_TOP of J(W_0) on n samples of the mixture. */
static int top_values(int64_t n, int64_t hidden, double *sigma) {
  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm); /* sigma = 0.1, separation 0.5, d = 20 */
  gmm.n_samples = n;
  gmm.n_classes = K;
  gmm.n_clusters = C;
  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *jacobian = NULL;
  js_svds_result *res = NULL;
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt); /* f(x) = V softplus(W x), W trained */
  int64_t widths[3] = {gmm.dim, hidden, K};
  net_opt.widths = widths;
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = TOP;
  opt.want_vectors = 0;
  int status = js_dataset_gmm(&gmm, &data);
  if (!status)
    status = js_dataset_normalize(data);
  if (!status)
    status = js_net_create_mlp(&net_opt, &net);
  if (!status)
    status = js_jacobian_create(net, data, NULL, &jacobian);
  if (!status)
    status = js_svds(jacobian, &opt, &res);
  for (int s = 0; !status && s < TOP; s++)
    sigma[s] = res->sigma[s];
  js_svds_result_free(res);
  js_linop_free(jacobian);
  js_net_free(net);
  js_dataset_free(data);
  return status;
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 180;
  int64_t hidden = argc > 2 ? atoll(argv[2]) : 256;
  double small[TOP], large[TOP];
  if (top_values(n, hidden, small) || top_values(4 * n, hidden, large)) {
    fprintf(stderr, "gmm_spectrum: %s\n", js_last_error());
    return 1;
  }
  printf("%4s  %14s  %14s  %10s   (K^2 C = %d)\n", "s", "sqrt(KC/n) l_s", "at 4n", "ratio",
         K * K * C);
  int grows = 1;
  for (int s = 0; s < TOP; s++) {
    double ratio = large[s] / small[s];
    printf("%4d  %14.6f  %14.6f  %10.4f%s\n", s + 1, sqrt((double)(K * C) / n) * small[s],
           sqrt((double)(K * C) / (4 * n)) * large[s], ratio,
           s + 1 == K * K * C ? "   <- last of the K^2 C" : "");
    /* sqrt(4) = 2 for the information directions. */
    if (s < K * K * C && fabs(ratio - 2) > 0.4)
      grows = 0;
  }
  double gap = small[K * K * C - 1] / small[K * K * C];
  printf("lambda_{K^2 C} / lambda_{K^2 C + 1} = %.3f\n", gap);
  int apart = gap > 3;
  if (!grows || !apart)
    fprintf(stderr, "gmm_spectrum: the top K^2 C values did not %s\n",
            grows ? "stand apart" : "grow like sqrt(n)");
  return !(grows && apart);
}

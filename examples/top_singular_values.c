/* Top singular values of a network's Jacobian from C.
 *
 * The paper's setting: Gaussian-mixture data (Definition 3.4), a one-hidden-
 * layer softplus network f(x) = V phi(W x) with W trained, and the top r
 * singular triplets of J = df/dW from ARPACK, never forming J.
 *
 *   build/examples/top_singular_values [n_samples] [hidden] [r]
 */
#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "top_singular_values: %s: %s\n", what, js_last_error());
  return 1;
}

int main(int argc, char **argv) {
  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm);
  gmm.n_samples = argc > 1 ? atoll(argv[1]) : 300;
  int64_t hidden = argc > 2 ? atoll(argv[2]) : 64;
  int64_t top = argc > 3 ? atoll(argv[3]) : 8;

  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *jacobian = NULL;
  js_svds_result *res = NULL;
  int rc = 1;

  if (js_dataset_gmm(&gmm, &data) || js_dataset_normalize(data)) {
    rc = fail("data");
    goto done;
  }
  js_mlp_options net_opt;
  js_mlp_options_init_defaults(&net_opt); /* one hidden layer, softplus, W trained */
  int64_t widths[3] = {data->dim, hidden, data->n_outputs};
  net_opt.widths = widths;
  if (js_net_create_mlp(&net_opt, &net) || js_jacobian_create(net, data, NULL, &jacobian)) {
    rc = fail("network");
    goto done;
  }
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = top;
  if (js_svds(jacobian, &opt, &res)) {
    rc = fail("svds");
    goto done;
  }
  printf("J is %lld x %lld; %lld J and %lld J^T products\n", (long long)res->rows,
         (long long)res->cols, (long long)res->n_apply, (long long)res->n_apply_t);
  for (int64_t s = 0; s < res->rank; s++)
    printf("sigma_%-3lld = %.12e   residuals %.1e %.1e\n", (long long)s + 1, res->sigma[s],
           res->residual_u[s], res->residual_v[s]);
  rc = 0;
done:
  js_svds_result_free(res);
  js_linop_free(jacobian);
  js_net_free(net);
  js_dataset_free(data);
  return rc;
}

/* Peak memory of the matrix-free spectrum on a problem whose explicit J would
 * not fit: by default GMM n=5000, K=10, d=100, one hidden layer of 2048,
 * top 20, so J would take nK * p * 8 bytes = 50000 * 204800 * 8 = 82 GB.
 *
 *   build/bench/memory_spectrum [n_samples] [classes] [dim] [hidden] [top]
 *
 * Prints a table and one JSON line with the peak resident set (getrusage)
 * next to the size the explicit J would have had. */
#include <jacspec.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static double peak_rss_bytes(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_maxrss * 1024.0; /* Linux reports KiB */
}

int main(int argc, char **argv) {
  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm);
  gmm.n_samples = argc > 1 ? atoll(argv[1]) : 5000;
  gmm.n_classes = argc > 2 ? atoll(argv[2]) : 10;
  gmm.dim = argc > 3 ? atoll(argv[3]) : 100;
  int64_t hidden = argc > 4 ? atoll(argv[4]) : 2048;
  int64_t top = argc > 5 ? atoll(argv[5]) : 20;

  js_dataset *data = NULL;
  js_net *net = NULL;
  js_linop *jacobian = NULL;
  js_svds_result *res = NULL;
  js_net_options net_opt;
  js_net_options_init_defaults(&net_opt);
  js_svds_options opt;
  js_svds_options_init_defaults(&opt);
  opt.top = top;
  opt.want_vectors = 0;
  int rc = js_dataset_gmm(&gmm, &data);
  if (!rc)
    rc = js_dataset_normalize(data);
  if (!rc) {
    net_opt.widths[0] = data->dim;
    net_opt.widths[1] = hidden;
    net_opt.widths[2] = data->n_outputs;
    rc = js_net_create(&net_opt, &net);
  }
  if (!rc)
    rc = js_jacobian_create(net, data, &jacobian);
  if (!rc)
    rc = js_svds(jacobian, &opt, &res);
  if (rc) {
    fprintf(stderr, "memory_spectrum: %s\n", js_last_error());
  } else {
    double rows = (double)res->rows, cols = (double)res->cols;
    double explicit_bytes = rows * cols * 8.0, peak = peak_rss_bytes();
    printf("%-28s %s\n", "problem", "GMM, one hidden layer, W1 trained");
    printf("%-28s %.0f x %.0f\n", "J (nK x p)", rows, cols);
    printf("%-28s %.2f GB\n", "explicit J would take", explicit_bytes / 1e9);
    printf("%-28s %.3f GB\n", "peak resident set", peak / 1e9);
    printf("%-28s %.5f\n", "peak / explicit J", peak / explicit_bytes);
    printf("%-28s %lld of %lld, lambda_1 = %.6g\n", "triplets converged",
           (long long)res->rank, (long long)top, res->sigma[0]);
    printf("%-28s %lld J, %lld J^T in %.1f s\n", "products", (long long)res->n_apply,
           (long long)res->n_apply_t, res->seconds);
    printf("{\"bench\":\"memory_spectrum\",\"rows\":%.0f,\"cols\":%.0f,"
           "\"explicit_bytes\":%.0f,\"peak_rss_bytes\":%.0f,\"converged\":%d,"
           "\"seconds\":%.3f}\n",
           rows, cols, explicit_bytes, peak, res->converged, res->seconds);
  }
  js_svds_result_free(res);
  js_linop_free(jacobian);
  js_net_free(net);
  js_dataset_free(data);
  return rc ? 1 : 0;
}

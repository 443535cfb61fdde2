#include "small_problem.h"

#include <string.h>

void small_problem_free(small_problem *pb) {
  js_model_release(&pb->model);
  js_linop_free(pb->jacobian);
  js_net_free(pb->net);
  js_dataset_free(pb->data);
  memset(pb, 0, sizeof *pb);
}

int small_problem_build(small_problem *pb, int64_t n, int64_t dim, int64_t width) {
  memset(pb, 0, sizeof *pb);
  js_gmm_options gmm;
  js_gmm_options_init_defaults(&gmm);
  gmm.n_samples = n;
  gmm.n_classes = 2;
  gmm.n_clusters = 1;
  gmm.dim = dim;
  js_mlp_options opt;
  js_mlp_options_init_defaults(&opt);
  int64_t widths[3] = {dim, width, gmm.n_classes};
  opt.widths = widths;
  int status;
  if ((status = js_dataset_gmm(&gmm, &pb->data)) ||
      (status = js_dataset_normalize(pb->data)) ||
      (status = js_net_create_mlp(&opt, &pb->net)) ||
      (status = js_jacobian_create(pb->net, pb->data, NULL, &pb->jacobian)) ||
      (status = js_net_model_init(&pb->model, pb->net, pb->data, NULL)))
    small_problem_free(pb);
  return status;
}

#include "cli/lowrank_source.h"

#include "cli/problem.h"
#include "cli/spec.h"

int cli_load_lowrank(const char *body, js_dataset **out) {
  js_lowrank_options opt;
  js_lowrank_options_init_defaults(&opt);
  int64_t task = (int64_t)opt.task_seed, seed = (int64_t)opt.seed;
  const spec_key keys[] = {
      {"n", 1, &opt.n_samples, NULL, 1, 1e9},
      {"dim", 1, &opt.dim, NULL, 1, 1e8},
      {"rank", 1, &opt.rank, NULL, 1, 1e8},
      {"sx", 0, NULL, &opt.sigma_x, 0, 1e6},
      {"sy", 0, NULL, &opt.sigma_y, 0, 1e6},
      {"task", 1, &task, NULL, 0, 9e18},
      {"seed", 1, &seed, NULL, 0, 9e18},
      {NULL, 0, NULL, NULL, 0, 0}};
  if (spec_parse("data", "lowrank", body, keys))
    return 2;
  opt.task_seed = (uint64_t)task;
  opt.seed = (uint64_t)seed;
  return js_dataset_lowrank(&opt, out) ? cli_library_error() : 0;
}

/* The synthetic data sources of --data: gmm:, parity:, lowrank: specs. */
#include "cli/generators.h"

#include "cli/parallel.h"
#include "cli/problem.h"
#include "cli/spec.h"

int cli_gmm_spec(const char *body, js_gmm_options *opt) {
  js_gmm_options_init_defaults(opt);
  const spec_key keys[] = {
      {"n", SPEC_INTEGER, &opt->n_samples, NULL, 1, 1e9, NULL},
      {"classes", SPEC_INTEGER, &opt->n_classes, NULL, 1, 1e6, NULL},
      {"clusters", SPEC_INTEGER, &opt->n_clusters, NULL, 1, 1e6, NULL},
      {"dim", SPEC_INTEGER, &opt->dim, NULL, 1, 1e8, NULL},
      {"sigma", SPEC_REAL, NULL, &opt->sigma, 0, 1e6, NULL},
      {"sep", SPEC_REAL, NULL, &opt->separation, 0, 2, NULL},
      {"seed", SPEC_SEED, NULL, NULL, 0, 0, &opt->seed},
      {"task", SPEC_SEED, NULL, NULL, 0, 0, &opt->task_seed},
      {NULL, SPEC_REAL, NULL, NULL, 0, 0, NULL}};
  return spec_parse("data", "gmm", body, keys);
}

int cli_load_gmm(const char *body, int part, int parts, js_dataset **out) {
  js_gmm_options opt;
  if (cli_gmm_spec(body, &opt))
    return 2;
  opt.part = part; /* each rank draws its own samples */
  opt.parts = parts;
  return js_dataset_gmm(&opt, out) ? cli_library_error() : 0;
}

int cli_parity_spec(const char *body, js_parity_options *opt) {
  js_parity_options_init_defaults(opt);
  const spec_key keys[] = {
      {"n", SPEC_INTEGER, &opt->n_samples, NULL, 1, 1e9, NULL},
      {"bits", SPEC_INTEGER, &opt->bits, NULL, 1, 1e8, NULL},
      {"degree", SPEC_INTEGER, &opt->degree, NULL, 0, 1e8, NULL},
      {"seed", SPEC_SEED, NULL, NULL, 0, 0, &opt->seed},
      {"task", SPEC_SEED, NULL, NULL, 0, 0, &opt->task_seed},
      {NULL, SPEC_REAL, NULL, NULL, 0, 0, NULL}};
  return spec_parse("data", "parity", body, keys);
}

int cli_load_parity(const char *body, int part, int parts, js_dataset **out) {
  js_parity_options opt;
  if (cli_parity_spec(body, &opt))
    return 2;
  opt.part = part;
  opt.parts = parts;
  return js_dataset_parity(&opt, NULL, out) ? cli_library_error() : 0;
}

int cli_lowrank_spec(const char *body, js_lowrank_options *opt) {
  js_lowrank_options_init_defaults(opt);
  const spec_key keys[] = {
      {"n", SPEC_INTEGER, &opt->n_samples, NULL, 1, 1e9, NULL},
      {"dim", SPEC_INTEGER, &opt->dim, NULL, 1, 1e8, NULL},
      {"rank", SPEC_INTEGER, &opt->rank, NULL, 1, 1e8, NULL},
      {"sx", SPEC_REAL, NULL, &opt->sigma_x, 0, 1e6, NULL},
      {"sy", SPEC_REAL, NULL, &opt->sigma_y, 0, 1e6, NULL},
      {"task", SPEC_SEED, NULL, NULL, 0, 0, &opt->task_seed},
      {"seed", SPEC_SEED, NULL, NULL, 0, 0, &opt->seed},
      {NULL, SPEC_REAL, NULL, NULL, 0, 0, NULL}};
  return spec_parse("data", "lowrank", body, keys);
}

int cli_load_lowrank(const char *body, int part, int parts, js_dataset **out) {
  (void)part; /* drawn whole (U, V and w* span all samples); the caller cuts it */
  (void)parts;
  js_lowrank_options opt;
  if (cli_lowrank_spec(body, &opt))
    return 2;
  return js_dataset_lowrank(&opt, out) ? cli_library_error() : 0;
}

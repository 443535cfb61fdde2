#include "cli/corruption.h"

#include "cli/args.h"
#include "cli/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct {
  const char *corrupt, *save_labels;
} args;

const cli_opt cli_corrupt_options[] = {
    {"corrupt", "RHO", "give round(RHO n) training labels another, uniformly drawn class "
     "(drawn from --seed: split and train corrupt the same labels)", &args.corrupt, NULL},
    {"save-labels", "FILE.npy", "write the n class labels used (after --corrupt) as float64",
     &args.save_labels, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

int cli_corruption_parse(cli_corruption *c) {
  *c = (cli_corruption){.rho = NAN};
  return args.corrupt && cli_double("corrupt", args.corrupt, 0, 1, &c->rho) ? 2 : 0;
}

int cli_corruption_apply(cli_problem *pb, cli_corruption *c) {
  js_dataset *data = pb->data;
  if (isnan(c->rho))
    return 0;
  if (cli_ranks() > 1) { /* the draw picks samples over the whole set */
    cli_error("--corrupt runs on one process (not under mpirun)");
    return 1;
  }
  int64_t n = data->n_samples, m = n * data->n_outputs;
  c->clean = *data;
  c->clean.y = malloc(sizeof(double) * (size_t)m);
  c->clean.labels = malloc(sizeof(int32_t) * (size_t)n);
  c->delta = malloc(sizeof(double) * (size_t)m);
  if (!c->clean.y || !c->clean.labels || !c->delta) {
    cli_error("--corrupt: out of memory");
    return 1;
  }
  memcpy(c->clean.y, data->y, sizeof(double) * (size_t)m);
  if (data->labels)
    memcpy(c->clean.labels, data->labels, sizeof(int32_t) * (size_t)n);
  if (js_dataset_corrupt_labels(data, c->rho, pb->seed, &c->n_changed))
    return cli_library_error();
  for (int64_t i = 0; i < m; i++)
    c->delta[i] = data->y[i] - c->clean.y[i];
  return 0;
}

int cli_corruption_save_labels(const cli_problem *pb) {
  if (!args.save_labels)
    return 0;
  const js_dataset *data = pb->data;
  if (!data->labels) {
    cli_error("--save-labels: the data has real-valued targets, no class labels");
    return 1;
  }
  double *labels = malloc(sizeof(double) * (size_t)data->n_samples);
  if (!labels) {
    cli_error("--save-labels: out of memory");
    return 1;
  }
  for (int64_t i = 0; i < data->n_samples; i++)
    labels[i] = data->labels[i];
  int64_t shape[1] = {data->n_samples};
  int rc = js_npy_write(args.save_labels, labels, 1, shape) ? cli_library_error() : 0;
  free(labels);
  return rc;
}

void cli_corruption_json(const cli_corruption *c, json_writer *j) {
  if (isnan(c->rho))
    return;
  json_number(j, "corrupt", c->rho);
  json_int(j, "corrupted", c->n_changed);
}

void cli_corruption_free(cli_corruption *c) {
  free(c->clean.y);
  free(c->clean.labels);
  free(c->delta);
}

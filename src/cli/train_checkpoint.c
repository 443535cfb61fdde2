#include "cli/train_checkpoint.h"

#include "cli/args.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The names of the config entries, for the message when they differ. */
static const char *const config_names[TRAIN_CONFIG_LEN] = {
    "--steps", "--optimizer", "--linearized", "--batch", "--seed", "--every",
    "--space", "--lr", "--corrupt", "number of outputs (data)", "number of parameters (model)",
    "number of test outputs (test data)", "--overlap", "--jacobian-change"};

/* A train_row as 16 doubles: the step, then the values in order. */
enum { ROW_VALUES = 16 };

static int64_t outputs(const js_dataset *data) {
  return data ? data->n_samples * data->n_outputs : 0;
}

static int64_t bits_of(double v) {
  int64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

static uLong crc_of(uLong crc, const double *a, int64_t n) {
  for (int64_t at = 0; at < n; at += 1 << 26) {
    int64_t piece = n - at < (1 << 26) ? n - at : (1 << 26);
    crc = crc32(crc, (const Bytef *)(a + at), (uInt)(8 * piece));
  }
  return crc;
}

void train_checkpoint_identify(train_checkpoint *cp, const js_train_options *opt,
                               int64_t space, double corrupt, const double *theta0) {
  const train_track *tr = cp->track;
  int64_t p = tr->n_params;
  int64_t config[TRAIN_CONFIG_LEN] = {opt->steps, opt->optimizer, opt->linearized,
                                      opt->optimizer == JS_OPTIM_SGD ? opt->batch : 0,
                                      (int64_t)opt->seed, tr->every, space, bits_of(opt->lr),
                                      bits_of(corrupt), outputs(tr->train), p,
                                      outputs(tr->test), opt->overlap_rank,
                                      opt->jacobian_change};
  memcpy(cp->config, config, sizeof config);
  uLong crc = crc32(0L, Z_NULL, 0);
  const js_dataset *sets[2] = {tr->train, tr->test};
  for (int k = 0; k < 2; k++)
    if (sets[k]) {
      crc = crc_of(crc, sets[k]->x, sets[k]->n_samples * sets[k]->dim);
      crc = crc_of(crc, sets[k]->y, outputs(sets[k]));
    }
  cp->fingerprint = crc_of(crc, theta0, p);
  cp->written = -1;
}

static void add(ckpt_array *a, int *n, const char *name, char type, int64_t count,
                const void *data) {
  if (data)
    a[(*n)++] = (ckpt_array){name, type, count, data};
}

int train_checkpoint_write(void *ctx, const js_train_snapshot *s) {
  train_checkpoint *cp = ctx;
  const train_track *tr = cp->track;
  int64_t p = tr->n_params, m = outputs(tr->train), m_test = outputs(tr->test);
  double *rows = malloc(sizeof(double) * (size_t)(tr->n_rows * ROW_VALUES + 1));
  if (!rows) {
    cli_error("--checkpoint %s: out of memory", cp->dir);
    cp->failed = 1;
    return JS_ENOMEM;
  }
  for (int64_t k = 0; k < tr->n_rows; k++) {
    const train_row *r = &tr->rows[k];
    double values[ROW_VALUES] = {(double)r->step, r->loss, r->train_error, r->test_error,
                                 r->res_info, r->res_nuisance, r->test_res_info,
                                 r->test_res_nuisance, r->dist_from_init, r->lin_gap,
                                 r->lin_dist, r->lr, r->true_error, r->taylor_rem,
                                 r->space_overlap, r->jacobian_change};
    memcpy(rows + k * ROW_VALUES, values, sizeof values);
  }
  int keep = tr->keep_residuals;
  int space_kept = tr->space_step >= 0 && s->step >= tr->space_step;
  ckpt_array a[CKPT_MAX_ARRAYS];
  int n = 0;
  add(a, &n, "config", 'i', TRAIN_CONFIG_LEN, cp->config);
  add(a, &n, "fingerprint", 'u', 1, &cp->fingerprint);
  add(a, &n, "step", 'i', 1, &s->step);
  add(a, &n, "lr", 'd', 1, &s->lr);
  add(a, &n, "rng", 'u', 4, s->rng_state);
  add(a, &n, "theta0", 'd', p, s->theta0);
  add(a, &n, "theta", 'd', p, s->theta);
  add(a, &n, "moment1", 'd', p, s->moment1);
  add(a, &n, "moment2", 'd', p, s->moment2);
  add(a, &n, "lin_theta", 'd', p, s->lin_theta);
  add(a, &n, "lin_residual", 'd', m, s->lin_residual);
  add(a, &n, "lin_moment1", 'd', p, s->lin_moment1);
  add(a, &n, "lin_moment2", 'd', p, s->lin_moment2);
  add(a, &n, "res0", 'd', m, s->res0);
  add(a, &n, "order", 'i', tr->train->n_samples, s->order);
  add(a, &n, "rows", 'd', tr->n_rows * ROW_VALUES, rows);
  add(a, &n, "kept", 'd', tr->n_rows * m, keep ? tr->kept : NULL);
  add(a, &n, "kept_test", 'd', tr->n_rows * m_test, keep && tr->test ? tr->kept_test : NULL);
  add(a, &n, "theta_space", 'd', p, space_kept ? tr->theta_space : NULL);
  int rc = cli_checkpoint_write(cp->dir, a, n);
  free(rows);
  if (rc) {
    cp->failed = 1;
    return JS_EIO;
  }
  cp->written = s->step;
  return JS_OK;
}

/* The checkpoint is of this run: the same settings and the same data and
 * initial weights. */
static int same_run(const train_checkpoint *cp, const ckpt_file *f) {
  const int64_t *config = cli_checkpoint_get(f, "config", 'i', TRAIN_CONFIG_LEN);
  const uint64_t *fingerprint = cli_checkpoint_get(f, "fingerprint", 'u', 1);
  if (!config || !fingerprint)
    return 1;
  for (int k = 0; k < TRAIN_CONFIG_LEN; k++)
    if (config[k] != cp->config[k]) {
      cli_error("%s: the checkpoint is of a run with another %s", f->path, config_names[k]);
      return 1;
    }
  if (*fingerprint != cp->fingerprint) {
    cli_error("%s: the checkpoint is of a run on other data or other initial weights",
              f->path);
    return 1;
  }
  return 0;
}

/* An optional array: its data when present (then of count entries). */
static const double *optional(const ckpt_file *f, const char *name, int64_t count, int *bad) {
  if (cli_checkpoint_count(f, name) < 0)
    return NULL;
  const double *a = cli_checkpoint_get(f, name, 'd', count);
  *bad |= a == NULL;
  return a;
}

/* The rows, kept residuals and theta_space of the tracker at step `step`. */
static int restore_track(train_track *tr, const ckpt_file *f, int64_t step) {
  int64_t p = tr->n_params, m = outputs(tr->train), m_test = outputs(tr->test);
  int64_t capacity = tr->steps / tr->every + 2;
  int64_t n_rows = cli_checkpoint_count(f, "rows") / ROW_VALUES;
  const double *rows = cli_checkpoint_get(f, "rows", 'd', n_rows * ROW_VALUES);
  if (!rows)
    return 1;
  if (n_rows > capacity) {
    cli_error("%s: the checkpoint holds %lld rows, more than this run makes", f->path,
              (long long)n_rows);
    return 1;
  }
  int bad = 0;
  const double *kept = tr->keep_residuals ? optional(f, "kept", n_rows * m, &bad) : NULL;
  const double *kept_test =
      tr->keep_residuals && tr->test ? optional(f, "kept_test", n_rows * m_test, &bad) : NULL;
  const double *theta_space = optional(f, "theta_space", p, &bad);
  if (bad || (tr->keep_residuals && !kept) || (tr->keep_residuals && tr->test && !kept_test) ||
      (tr->space_step >= 0 && step >= tr->space_step && !theta_space)) {
    if (!bad)
      cli_error("%s: the checkpoint lacks the residuals or weights this run keeps", f->path);
    return 1;
  }
  for (int64_t k = 0; k < n_rows; k++) {
    const double *v = rows + k * ROW_VALUES;
    tr->rows[k] = (train_row){(int64_t)v[0], v[1], v[2], v[3], v[4], v[5],
                              v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
                              v[14], v[15]};
  }
  tr->n_rows = n_rows;
  tr->last_step = step;
  if (kept)
    memcpy(tr->kept, kept, sizeof(double) * (size_t)(n_rows * m));
  if (kept_test)
    memcpy(tr->kept_test, kept_test, sizeof(double) * (size_t)(n_rows * m_test));
  if (theta_space)
    memcpy(tr->theta_space, theta_space, sizeof(double) * (size_t)p);
  return 0;
}

int train_checkpoint_resume(train_checkpoint *cp, const char *dir, ckpt_file *file,
                            js_train_snapshot *snap) {
  char path[4200];
  cli_checkpoint_path(path, sizeof path, dir);
  if (cli_checkpoint_read(path, file) || same_run(cp, file))
    return 1;
  const train_track *tr = cp->track;
  int64_t p = tr->n_params, m = outputs(tr->train), n = tr->train->n_samples;
  const int64_t *step = cli_checkpoint_get(file, "step", 'i', 1);
  const double *lr = cli_checkpoint_get(file, "lr", 'd', 1);
  const uint64_t *rng = cli_checkpoint_get(file, "rng", 'u', 4);
  int bad = !step || !lr || !rng;
  memset(snap, 0, sizeof *snap);
  if (!bad) {
    snap->step = *step;
    snap->lr = *lr;
    memcpy(snap->rng_state, rng, sizeof snap->rng_state);
    snap->theta0 = cli_checkpoint_get(file, "theta0", 'd', p);
    snap->theta = cli_checkpoint_get(file, "theta", 'd', p);
    bad = !snap->theta0 || !snap->theta;
  }
  if (!bad) {
    snap->moment1 = optional(file, "moment1", p, &bad);
    snap->moment2 = optional(file, "moment2", p, &bad);
    snap->lin_theta = optional(file, "lin_theta", p, &bad);
    snap->lin_residual = optional(file, "lin_residual", m, &bad);
    snap->lin_moment1 = optional(file, "lin_moment1", p, &bad);
    snap->lin_moment2 = optional(file, "lin_moment2", p, &bad);
    snap->res0 = optional(file, "res0", m, &bad);
    if (cli_checkpoint_count(file, "order") >= 0)
      bad |= !(snap->order = cli_checkpoint_get(file, "order", 'i', n));
  }
  if (bad || restore_track(cp->track, file, snap->step))
    return 1;
  cp->track->lr = snap->lr;
  return 0;
}

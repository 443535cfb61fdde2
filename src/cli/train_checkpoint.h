/* What `jacspec train --checkpoint DIR` keeps (cli/checkpoint.h holds the
 * file format): the trainer's snapshot (js_train_snapshot), the rows and
 * kept residuals of train_track, and what identifies the run, its
 * settings and a checksum of its data and initial weights, so that
 * --resume refuses another run's checkpoint. */
#ifndef JS_CLI_TRAIN_CHECKPOINT_H
#define JS_CLI_TRAIN_CHECKPOINT_H

#include "cli/checkpoint.h"
#include "cli/train_track.h"
#include "jacspec.h"

enum { TRAIN_CONFIG_LEN = 14 };

typedef struct train_checkpoint {
  const char *dir;      /* --checkpoint DIR, or NULL */
  train_track *track;   /* borrowed */
  int64_t config[TRAIN_CONFIG_LEN];
  uint64_t fingerprint;
  int failed;           /* a write failed (its message is out) */
  int64_t written;      /* the step of the last checkpoint written, or -1 */
} train_checkpoint;

/* The run's identity: the options that shape its state, the sizes, and a
 * CRC-32 of the inputs and targets (training and test) and of theta_0. */
void train_checkpoint_identify(train_checkpoint *cp, const js_train_options *opt,
                               int64_t space, double corrupt, const double *theta0);
/* A js_checkpoint_fn (ctx: a train_checkpoint): writes DIR/checkpoint. */
int train_checkpoint_write(void *ctx, const js_train_snapshot *snapshot);
/* Reads DIR/checkpoint into *file, checks it is this run's, points *snap
 * into it and restores the rows of cp->track. Returns 0, or prints one
 * line and returns 1 (free *file either way). */
int train_checkpoint_resume(train_checkpoint *cp, const char *dir, ckpt_file *file,
                            js_train_snapshot *snap);

#endif

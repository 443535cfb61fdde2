/* The checkpoint file of `train --checkpoint DIR`: DIR/checkpoint holds
 * named arrays of 8-byte numbers. Layout, in the writing machine's byte
 * order (a marker checks it on reading):
 *   "JSCKPT01", uint64 0x0102030405060708, uint64 number of records;
 *   each record: its name (24 bytes, NUL-padded), uint64 type ('d' double,
 *   'i' int64, 'u' uint64), uint64 count, count x 8 bytes;
 *   uint64 CRC-32 (zlib) of everything before it.
 * Every field is 8-byte aligned, so the arrays are read in place. Writing
 * goes to DIR/checkpoint.tmp, which is fsync'ed and renamed over
 * DIR/checkpoint, and DIR is fsync'ed: a crash at any point leaves the
 * previous checkpoint or the new one, whole. */
#ifndef JS_CLI_CHECKPOINT_H
#define JS_CLI_CHECKPOINT_H

#include <stdint.h>

enum { CKPT_MAX_ARRAYS = 32, CKPT_NAME = 24 };

typedef struct ckpt_array {
  const char *name; /* at most CKPT_NAME - 1 characters */
  char type;        /* 'd', 'i' or 'u' */
  int64_t count;
  const void *data; /* count 8-byte numbers */
} ckpt_array;

/* Writes the arrays as DIR/checkpoint (creating DIR). Returns 0, or prints
 * one line and returns 1. */
int cli_checkpoint_write(const char *dir, const ckpt_array *arrays, int n_arrays);

typedef struct ckpt_file {
  char path[4200];
  unsigned char *bytes; /* the whole file; the arrays point into it */
  int n_arrays;
  ckpt_array arrays[CKPT_MAX_ARRAYS];
  char names[CKPT_MAX_ARRAYS][CKPT_NAME];
} ckpt_file;

/* The checkpoint file in DIR. */
void cli_checkpoint_path(char *buf, int size, const char *dir);
/* Reads and checks a checkpoint file (magic, byte order, CRC, every
 * record inside the file). Returns 0, or prints one line naming the file
 * and returns 1; free *f with cli_checkpoint_free either way. */
int cli_checkpoint_read(const char *path, ckpt_file *f);
/* The data of array `name`, which must have this type and count; NULL
 * (after one line naming the file and the array) when it does not. */
const void *cli_checkpoint_get(const ckpt_file *f, const char *name, char type, int64_t count);
/* The number of entries of array `name`, or -1 when the file has none. */
int64_t cli_checkpoint_count(const ckpt_file *f, const char *name);
void cli_checkpoint_free(ckpt_file *f);

#endif

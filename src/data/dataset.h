/* Size limits shared by everything that allocates a data set or an array
 * read from a file, so an absurd request fails with a message instead of
 * an attempt to allocate terabytes; and the shard a reader keeps. */
#ifndef JS_DATA_DATASET_H
#define JS_DATA_DATASET_H

#include <stdint.h>

/* 2^40 entries (8 TiB of doubles): far beyond any machine, far below
 * int64 overflow, so products of two checked sizes stay exact. */
#define JS_MAX_ENTRIES ((int64_t)1 << 40)

/* JS_OK when rows x cols (both >= 0) fits JS_MAX_ENTRIES; otherwise
 * JS_ELIMIT with a message naming `what`. */
int js_check_entries(int64_t rows, int64_t cols, const char *what);

/* Shard `part` of `parts` of n samples (js_shard_range; parts 0 or 1: all
 * of them) in *first, *count; JS_EINVAL naming `what` when it would be
 * empty (more parts than samples). */
int js_shard_rows(int64_t n, int part, int parts, const char *what, int64_t *first,
                  int64_t *count);

#endif

/* A check shared by the tests of sharded reading: the shards of a data set,
 * read part by part, hold exactly the rows of the whole. */
#ifndef JS_TEST_SHARDS_H
#define JS_TEST_SHARDS_H

#include "jacspec.h"

/* Fails the test unless shards[0..parts-1] are the js_shard_range parts of
 * whole, bit for bit: each holds its own rows and no more (n_samples is
 * its part's count), names them (first_sample, total_samples: 0 and 0 for
 * a single part), and has whole's shape, K, inputs, targets and labels. */
void assert_shards_equal(const js_dataset *whole, js_dataset *const *shards, int parts);

#endif

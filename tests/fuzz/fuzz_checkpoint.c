/* libFuzzer target: the checkpoint reader of `train --resume`
 * (src/cli/checkpoint.c) on arbitrary bytes. */
/* Covers: src/cli/checkpoint.c */
#include "cli/checkpoint.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ckpt_file f;
  if (cli_checkpoint_read(fuzz_file(0, data, size), &f) == 0) {
    volatile uint64_t sum = 0; /* every entry read: ASan checks the bounds */
    for (int i = 0; i < f.n_arrays; i++) {
      const uint64_t *a = cli_checkpoint_get(&f, f.arrays[i].name, f.arrays[i].type,
                                             f.arrays[i].count);
      if (!a || cli_checkpoint_count(&f, f.arrays[i].name) < 0)
        abort();
      for (int64_t k = 0; k < f.arrays[i].count; k++)
        sum += a[k];
    }
    (void)sum;
  }
  cli_checkpoint_free(&f);
  return 0;
}

/* Shared by the fuzz targets: the input as a file the readers open by name,
 * and the checks every reader's result must pass. */
#ifndef JS_FUZZ_UTIL_H
#define JS_FUZZ_UTIL_H

#include "jacspec.h"

#include <stddef.h>
#include <stdint.h>

/* Writes data into in-memory file number `slot` (0..3, one per file a
 * target needs) and returns its name (/proc/self/fd/N): the readers take
 * paths, and a memfd needs no disk and no clean-up. */
const char *fuzz_file(int slot, const uint8_t *data, size_t size);

/* Aborts (a crash libFuzzer reports) unless the call kept the contract:
 * a result exactly on success, a message on failure, and never JS_ENOMEM
 * (inputs are small: see fuzz_util.c). */
void fuzz_check_status(int status, const void *result);

/* Aborts unless a data set the readers returned is consistent: every
 * entry readable (ASan checks the bounds), labels one-hot in y. */
void fuzz_check_dataset(const js_dataset *data);

#endif

/* libFuzzer target: the gzip-transparent whole-file reader every data
 * reader goes through (src/data/gzfile.c). */
/* Covers: src/data/gzfile.c */
#include "data/gzfile.h"
#include "fuzz_util.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *bytes = NULL;
  size_t got = 0;
  int status = js_read_gz(fuzz_file(0, data, size), &bytes, &got);
  fuzz_check_status(status, bytes);
  /* The contents end with the promised '\0' (ASan checks it is in bounds). */
  if (bytes && bytes[got] != '\0')
    abort();
  free(bytes);
  return 0;
}

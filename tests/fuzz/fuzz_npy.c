/* libFuzzer target: js_npy_read on arbitrary bytes. */
/* Covers: src/data/npy.c src/data/npy_header.c */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  js_array *a = NULL;
  int status = js_npy_read(fuzz_file(0, data, size), &a);
  fuzz_check_status(status, a);
  if (a) {
    int64_t count = 1;
    for (int k = 0; k < a->ndim; k++)
      count *= a->shape[k];
    if (count != a->size || (a->is_integer ? !a->ints : !a->values))
      __builtin_trap();
    volatile double sum = 0; /* every entry read: ASan checks the bounds */
    for (int64_t i = 0; i < a->size; i++)
      sum += a->is_integer ? (double)a->ints[i] : a->values[i];
    (void)sum;
  }
  js_array_free(a);
  return 0;
}

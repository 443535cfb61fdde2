/* libFuzzer target: js_dataset_csv. Byte 0 picks the label column (a
 * number, a header name, or names that exist in no file); the rest is the
 * file. */
/* Covers: src/data/csv.c */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const columns[] = {"1", "2", "3", "label", "0", "-1", "", "\"y\""};
  if (size < 1)
    return 0;
  const char *column = columns[data[0] % (sizeof columns / sizeof columns[0])];
  js_dataset *set = NULL;
  int status = js_dataset_csv(fuzz_file(0, data + 1, size - 1), column, &set);
  fuzz_check_status(status, set);
  fuzz_check_dataset(set);
  js_dataset_free(set);
  return 0;
}

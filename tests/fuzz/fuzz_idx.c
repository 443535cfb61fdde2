/* libFuzzer target: js_dataset_idx on an arbitrary pair of files.
 * Input layout: byte 0 chooses the class options (bits 0-1: per_class
 * 0..3; bit 2: keep classes 1 and 0, in that order), bytes 1-2 are the
 * big-endian length L of the labels file, the next L bytes are the labels
 * file and the rest is the images file. */
/* Covers: src/data/idx.c src/data/classes.c */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  static const int32_t classes[] = {1, 0};
  js_idx_options opt;
  js_idx_options_init_defaults(&opt);
  opt.per_class = data[0] & 3;
  if (data[0] & 4) {
    opt.classes = classes;
    opt.n_classes = 2;
  }
  size_t labels_len = (size_t)data[1] << 8 | data[2];
  data += 3;
  size -= 3;
  if (labels_len > size)
    labels_len = size;
  const char *labels = fuzz_file(0, data, labels_len);
  const char *images = fuzz_file(1, data + labels_len, size - labels_len);
  js_dataset *set = NULL;
  int status = js_dataset_idx(images, labels, &opt, &set);
  fuzz_check_status(status, set);
  fuzz_check_dataset(set);
  js_dataset_free(set);
  return 0;
}

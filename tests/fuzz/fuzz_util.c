#define _GNU_SOURCE /* memfd_create */
#include "fuzz_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOTS = 4 };

const char *fuzz_file(int slot, const uint8_t *data, size_t size) {
  static int fds[SLOTS] = {-1, -1, -1, -1};
  static char names[SLOTS][64];
  if (slot < 0 || slot >= SLOTS)
    abort();
  if (fds[slot] < 0) {
    fds[slot] = memfd_create("jacspec-fuzz", 0);
    if (fds[slot] < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(names[slot], sizeof names[slot], "/proc/self/fd/%d", fds[slot]);
  }
  if (ftruncate(fds[slot], 0) != 0 ||
      (size && pwrite(fds[slot], data, size, 0) != (ssize_t)size)) {
    perror("fuzz_file");
    abort();
  }
  return names[slot];
}

void fuzz_check_status(int status, const void *result) {
  /* Inputs are kilobytes: running out of memory means an allocation out of
   * proportion to the file, which a lying header must not cause. */
  if ((status == JS_OK) != (result != NULL) || status == JS_ENOMEM)
    abort();
  if (status != JS_OK && js_last_error()[0] == '\0')
    abort();
}

void fuzz_check_dataset(const js_dataset *data) {
  if (!data)
    return;
  int64_t n = data->n_samples, d = data->dim, K = data->n_outputs;
  if (n < 1 || d < 1 || K < 1)
    abort();
  volatile double sum = 0;
  for (int64_t i = 0; i < n * d; i++)
    sum += data->x[i];
  for (int64_t i = 0; i < n; i++) {
    double row = 0;
    for (int64_t l = 0; l < K; l++)
      row += data->y[i * K + l];
    if (data->labels && (data->labels[i] < 0 || data->labels[i] >= K ||
                         data->y[i * K + data->labels[i]] != 1.0 || row != 1.0))
      abort();
  }
  (void)sum;
}

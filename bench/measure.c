/* wait4 and MAP_ANONYMOUS are BSD/Linux extensions beyond POSIX. */
#define _DEFAULT_SOURCE

#include "measure.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double bench_cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int bench_run_in_child(bench_child_fn fn, const void *ctx, void *result,
                       size_t result_size, double *peak_rss) {
  *peak_rss = 0;
  /* A shared mapping rather than a pipe: the child writes its result in
   * place, and a child that dies mid-write cannot block the parent. */
  void *shared = mmap(NULL, result_size, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED)
    return -1;
  pid_t child = fork();
  if (child < 0) {
    munmap(shared, result_size);
    return -1;
  }
  if (child == 0)
    _exit(fn(ctx, shared) ? 1 : 0);
  int wstatus = 0;
  struct rusage usage;
  pid_t waited = wait4(child, &wstatus, 0, &usage);
  int status = -1;
  if (waited == child && WIFEXITED(wstatus)) {
    status = WEXITSTATUS(wstatus);
    memcpy(result, shared, result_size);
    *peak_rss = (double)usage.ru_maxrss * 1024.0; /* Linux reports KiB */
  }
  munmap(shared, result_size);
  return status;
}

int64_t bench_arg(int argc, char **argv, const char *name, int64_t fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return atoll(argv[i + 1]);
  return fallback;
}

int bench_fashion_mnist_3c(int64_t per_class, int part, int parts, js_dataset **out) {
  int32_t classes[3] = {0, 1, 2};
  js_idx_options idx;
  js_idx_options_init_defaults(&idx);
  idx.classes = classes;
  idx.n_classes = 3;
  idx.per_class = per_class;
  idx.part = part;
  idx.parts = parts;
  int rc = js_dataset_fashion_mnist("train", &idx, out);
  return rc ? rc : js_dataset_normalize(*out);
}

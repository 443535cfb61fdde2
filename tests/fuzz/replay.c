/* Runs a fuzz target's LLVMFuzzerTestOneInput on every file of the
 * directories (or files) given, without libFuzzer: the seed corpora and the
 * saved crashes (tests/fuzz/regressions) become ordinary tests, in the
 * normal build and under the sanitizers. A crash or a broken contract
 * aborts the run; exit 0 when every input passed.
 *
 * Like libFuzzer's -malloc_limit_mb, the address space is limited, so an
 * input of a few kilobytes that asks for gigabytes fails (the targets
 * treat JS_ENOMEM as a bug). Not under AddressSanitizer, whose shadow
 * memory needs terabytes of address space; it reports such requests itself. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#endif
#endif

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  size_t cap = 1 << 16, size = 0, got;
  uint8_t *data = malloc(cap);
  while (data && (got = fread(data + size, 1, cap - size, f)) > 0)
    if ((size += got) == cap)
      data = realloc(data, cap *= 2);
  fclose(f);
  if (!data) {
    fprintf(stderr, "%s: out of memory\n", path);
    return 1;
  }
  LLVMFuzzerTestOneInput(data, size);
  free(data);
  return 0;
}

/* Every regular file of a directory, or the file itself. A directory that
 * does not exist holds no inputs: a target's regressions/ directory
 * appears with its first saved crash, and the test must pick that up
 * without reconfiguring. */
static int replay_path(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT)
      return 0;
    perror(path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return replay_file(path);
  }
  DIR *dir = opendir(path);
  if (!dir) {
    perror(path);
    return 1;
  }
  int failed = 0;
  for (struct dirent *e; (e = readdir(dir));) {
    if (e->d_name[0] == '.')
      continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    failed |= replay_path(child, count);
  }
  closedir(dir);
  return failed;
}

int main(int argc, char **argv) {
#ifndef REPLAY_ASAN
  struct rlimit limit = {1UL << 31, RLIM_INFINITY}; /* 2 GiB of address space */
  if (setrlimit(RLIMIT_AS, &limit) != 0)
    perror("setrlimit");
#endif
  int failed = 0, count = 0;
  for (int i = 1; i < argc; i++)
    failed |= replay_path(argv[i], &count);
  printf("%d inputs replayed\n", count);
  return failed;
}

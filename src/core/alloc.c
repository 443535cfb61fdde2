#include "core/alloc.h"

#include "core/error.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Atomic: the OpenMP loops may one day allocate from several threads, and
 * the count must stay exact for the failure tests. */
static _Atomic int64_t alloc_count;
static _Atomic int64_t fail_at; /* 0: never */

void js_alloc_fail_after(int64_t k) {
  atomic_store(&fail_at, k > 0 ? k : 0);
  atomic_store(&alloc_count, 0);
}

int64_t js_alloc_count(void) { return atomic_load(&alloc_count); }

/* Counts the allocation; true when it is the one to fail. */
static int injected_failure(void) {
  int64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
  return n == atomic_load(&fail_at);
}

static int overflows(size_t count, size_t size, const char *what) {
  if (size != 0 && count > SIZE_MAX / size) {
    js_fail(JS_ENOMEM, "%s: size %zu x %zu overflows", what, count, size);
    return 1;
  }
  return 0;
}

static void *out_of_memory(size_t count, size_t size, const char *what) {
  js_fail(JS_ENOMEM, "%s: cannot allocate %.3g MiB", what,
          (double)count * (double)size / 1048576.0);
  return NULL;
}

void *js_alloc(size_t count, size_t size, const char *what) {
  if (overflows(count, size, what))
    return NULL;
  void *p = injected_failure() ? NULL : calloc(count ? count : 1, size ? size : 1);
  return p ? p : out_of_memory(count, size, what);
}

void *js_realloc(void *p, size_t count, size_t size, const char *what) {
  if (overflows(count, size, what))
    return NULL;
  size_t bytes = count * size;
  void *grown = injected_failure() ? NULL : realloc(p, bytes ? bytes : 1);
  return grown ? grown : out_of_memory(count, size, what);
}

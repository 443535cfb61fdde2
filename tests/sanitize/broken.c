/* Deliberately broken code, built only in the sanitizer build (.ci/run's
 * build-sanitize) and registered as tests that must fail: they show that a
 * bad read, a leak and undefined behaviour each stop the run there, so a
 * green sanitizer suite means the real tests had none. Nothing here is in
 * the library.
 *
 * usage: broken overread|leak|shift */
#include "core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  /* volatile: the compiler may neither fold the bad operation away nor
   * prove it out of bounds at compile time. */
  volatile int index = 4;
  if (strcmp(what, "overread") == 0) {
    double *a = js_alloc(4, sizeof *a, "four doubles");
    double v = a[index]; /* one past the end */
    printf("read %g past the end, undetected\n", v);
    free(a);
  } else if (strcmp(what, "leak") == 0) {
    void *volatile lost = js_alloc(64, 1, "leaked bytes");
    lost = NULL;
    printf("leak undetected\n");
  } else if (strcmp(what, "shift") == 0) {
    volatile int bits = 40;
    printf("1 << 40 = %d, undetected\n", 1 << bits);
  } else {
    fprintf(stderr, "usage: broken overread|leak|shift\n");
    return 2;
  }
  return 0; /* undetected: the should_fail test fails */
}

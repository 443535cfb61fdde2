/* js_set_threads: one thread count for BLIS and for OpenMP's elementwise
 * loops. The two never run nested (an elementwise loop does not call BLIS),
 * so the process uses at most n threads at a time. */
#include "core/blas.h"
#include "core/error.h"

#include <omp.h>
#include <unistd.h>

int js_set_threads(int n) {
  if (n < 0)
    return js_fail(JS_EINVAL, "js_set_threads: %d threads, must be >= 0 (0: all cores)", n);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1)
    cores = 1;
  if (n == 0 || n > cores)
    n = (int)cores;
  js_blas_set_threads(n);
  omp_set_num_threads(n);
  return n;
}

/* Timing and peak-memory helpers shared by the benchmarks.
 *
 * Peak resident sets are taken per child process: a benchmark forks one
 * child per configuration, so the peak of one run never hides inside the
 * peak of an earlier, larger one (ru_maxrss only ever grows). */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <jacspec.h>

#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock (differences only). */
double bench_now(void);
/* CPU seconds of this process (all its threads): on a machine shared with
 * other jobs the wall clock measures the contention too, the CPU time
 * only the work. */
double bench_cpu_now(void);

/* Work to run in a child: reads ctx, fills result (result_size bytes) and
 * returns 0 on success, non-zero on failure. */
typedef int (*bench_child_fn)(const void *ctx, void *result);

/* Runs fn(ctx, result) in a forked child and waits for it. result receives
 * what the child wrote there (through a shared mapping); *peak_rss receives
 * the child's peak resident set in bytes (wait4's ru_maxrss). Returns fn's
 * status, or -1 when the child could not run or died from a signal.
 * Call it before the parent runs any product: OpenMP's thread pool does
 * not survive a fork, so all BLIS and OpenMP work belongs in the children. */
int bench_run_in_child(bench_child_fn fn, const void *ctx, void *result,
                       size_t result_size, double *peak_rss);

/* The value after option `name` in argv (atoll), or fallback. */
int64_t bench_arg(int argc, char **argv, const char *name, int64_t fallback);

/* Issue 12's fmnist-3c data: the first per_class Fashion-MNIST training
 * images of T-shirt, trouser and pullover, scaled to unit norm, as
 * `--data fashion-mnist:train --classes 0,1,2 --per-class M` loads them;
 * only shard `part` of `parts` of them (js_idx_options; 0, 1: all). */
int bench_fashion_mnist_3c(int64_t per_class, int part, int parts, js_dataset **out);

#endif

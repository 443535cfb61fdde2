/* jacspec: command-line queries on the spectrum of a network's Jacobian. */
#include "cli/args.h"
#include "cli/parallel.h"
#include "cli/signals.h"
#include "cli/verbs.h"
#include "jacspec.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} verbs[] = {
    {"spectrum", cli_spectrum, "top singular values and vectors of the Jacobian"},
    {"density", cli_density, "the density of all its singular values (Lanczos quadrature)"},
    {"split", cli_split, "labels and residual on the information and nuisance spaces"},
    {"train", cli_train, "gradient descent, tracked on the information and nuisance spaces"},
    {"bound", cli_bound, "the terms of the generalisation bound of Theorem 3.3"},
    {"ntk", cli_ntk, "the analytic kernel of Definition 3.1: eigenvalues, y^T Sigma^-1 y"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: jacspec VERB [options]   (jacspec VERB --help for its options)\n\nverbs:\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
  fprintf(f, "\n  --version  print the version\n");
}

int main(int argc, char **argv) {
#ifdef __GLIBC__
  /* Buffers of 256 KiB and more (caches, workspaces, Lanczos bases) come
   * from mmap and go back to the system when freed. glibc would otherwise
   * raise this threshold after the first such free and serve the next ones
   * from the heap, which a small block can pin: 12 MiB more peak on a
   * 75 MiB train run, against the --mem promise. */
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("jacspec %s\n", JS_VERSION);
    return 0;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return 0;
  }
  if (cli_parallel_init(&argc, &argv))
    return 1;
  cli_signals_install();
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
    if (strcmp(argv[1], verbs[i].name) != 0)
      continue;
    int rc = verbs[i].run(argc - 2, argv + 2);
    /* Every rank leaves with the same code, reported once. */
    rc = cli_agree(rc);
    int sig = cli_signal_caught();
    /* A signal after the library's last check: the verb finished, but
     * cli_results_close discarded its files; say so. */
    if (sig && rc != 128 + sig) {
      cli_error("interrupted by %s after the computation; the results were not written",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
      rc = 128 + sig;
    }
    cli_parallel_finalize();
    return rc;
  }
  cli_parallel_finalize();
  cli_error("unknown verb '%s' (try jacspec --help)", argv[1]);
  return 2;
}

/* libFuzzer target: the option parser and its conversions. The input is
 * split at '\0' bytes into arguments, parsed against the data, model, test
 * data and solver option tables every verb shares, and each argument is
 * also fed to the strict number, seed, size and list conversions. */
/* Covers: src/cli/args.c */
#include "cli/args.h"
#include "cli/problem.h"
#include "cli/solver_args.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const cli_opt *const groups[] = {cli_data_options, cli_model_options,
                                          cli_test_data_options, cli_solver_options, NULL};
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *argv[MAX_ARGS];
  int argc = 0;
  for (char *p = text; argc < MAX_ARGS && p <= text + size; p += strlen(p) + 1)
    argv[argc++] = p;
  int rc = cli_parse("fuzz", "fuzzing", argc, argv, groups);
  if (rc < 0 || rc > 2)
    abort();
  for (int i = 0; i < argc; i++) {
    int64_t integer, list[8];
    double real;
    uint64_t seed;
    size_t bytes;
    int count;
    cli_int("n", argv[i], -5, 1000, &integer);
    cli_double("x", argv[i], -1e300, 1e300, &real);
    cli_seed("seed", argv[i], &seed);
    cli_bytes("mem", argv[i], &bytes);
    cli_int_list("hidden", argv[i], 1, 1 << 24, list, 8, &count);
  }
  free(text);
  return 0;
}

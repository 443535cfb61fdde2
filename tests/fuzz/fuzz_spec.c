/* libFuzzer target: the --data generator specifications (gmm:, parity:,
 * lowrank: key=value lists), parsed without generating data. Byte 0 picks
 * the generator; the rest is the text after "NAME:". */
/* Covers: src/cli/spec.c src/cli/generators.c */
#include "cli/generators.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *body = malloc(size); /* size - 1 bytes and a '\0' */
  if (!body)
    return 0;
  memcpy(body, data + 1, size - 1);
  body[size - 1] = '\0';
  int rc;
  switch (data[0] % 3) {
  case 0: {
    js_gmm_options opt;
    rc = cli_gmm_spec(body, &opt);
    break;
  }
  case 1: {
    js_parity_options opt;
    rc = cli_parity_spec(body, &opt);
    break;
  }
  default: {
    js_lowrank_options opt;
    rc = cli_lowrank_spec(body, &opt);
    break;
  }
  }
  if (rc != 0 && rc != 2)
    abort();
  free(body);
  return 0;
}

/* "name:key=value,key=value" specifications, as in --data gmm:n=500,dim=20. */
#ifndef JS_CLI_SPEC_H
#define JS_CLI_SPEC_H

#include <stdint.h>

typedef enum { SPEC_REAL, SPEC_INTEGER, SPEC_SEED } spec_kind;

typedef struct spec_key {
  const char *key;
  spec_kind kind;   /* into *real, *integer, or *seed (an integer >= 0) */
  int64_t *integer;
  double *real;
  double min, max;  /* allowed range (not for seeds) */
  uint64_t *seed;
} spec_key;

/* Parses the part after "name:" (may be empty) into the keys' targets.
 * Unknown keys, bad numbers and out-of-range values print one line naming
 * the option and key and return 2. */
int spec_parse(const char *option, const char *name, const char *body,
               const spec_key *keys);

#endif

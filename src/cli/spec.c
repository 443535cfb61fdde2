#include "cli/spec.h"

#include "cli/args.h"

#include <stdio.h>
#include <string.h>

static const spec_key *find_key(const spec_key *keys, const char *key) {
  for (const spec_key *k = keys; k->key; k++)
    if (strcmp(k->key, key) == 0)
      return k;
  return NULL;
}

int spec_parse(const char *option, const char *name, const char *body,
               const spec_key *keys) {
  char buf[1024];
  if (strlen(body) >= sizeof buf) {
    cli_error("--%s: specification too long", option);
    return 2;
  }
  strcpy(buf, body);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) {
      cli_error("--%s: '%s' in %s: expected key=value", option, tok, name);
      return 2;
    }
    *eq = '\0';
    const spec_key *k = find_key(keys, tok);
    if (!k) {
      char valid[256] = "";
      for (const spec_key *v = keys; v->key; v++)
        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s",
                 v == keys ? "" : ", ", v->key);
      cli_error("--%s: unknown key '%s' for %s (valid: %s)", option, tok, name, valid);
      return 2;
    }
    char label[128];
    snprintf(label, sizeof label, "%s (%s key %s)", option, name, k->key);
    int rc = k->kind == SPEC_SEED      ? cli_seed(label, eq + 1, k->seed)
             : k->kind == SPEC_INTEGER ? cli_int(label, eq + 1, (int64_t)k->min,
                                                 (int64_t)k->max, k->integer)
                                       : cli_double(label, eq + 1, k->min, k->max, k->real);
    if (rc)
      return rc;
  }
  return 0;
}

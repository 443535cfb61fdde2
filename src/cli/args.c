#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char last_error[1024];

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  fprintf(stderr, "jacspec: %s\n", last_error);
}

const char *cli_last_error(void) { return last_error; }

static const cli_opt *find_option(const cli_opt *const *groups, const char *name,
                                  size_t len) {
  for (int g = 0; groups[g]; g++)
    for (const cli_opt *o = groups[g]; o->name; o++)
      if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
        return o;
  return NULL;
}

void cli_print_help(FILE *out, const char *verb, const char *summary,
                    const cli_opt *const *groups) {
  fprintf(out, "usage: jacspec %s [options]\n\n%s\n\noptions:\n", verb, summary);
  for (int g = 0; groups[g]; g++) {
    for (const cli_opt *o = groups[g]; o->name; o++) {
      char left[64];
      snprintf(left, sizeof left, "--%s%s%s", o->name, o->metavar ? " " : "",
               o->metavar ? o->metavar : "");
      fprintf(out, "  %-26s %s\n", left, o->help);
    }
  }
  fprintf(out, "  %-26s %s\n", "--help", "show this help");
}

int cli_parse(const char *verb, const char *summary, int argc, char **argv,
              const cli_opt *const *groups) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      cli_print_help(stdout, verb, summary, groups);
      return 1;
    }
    if (strncmp(arg, "--", 2) != 0) {
      cli_error("%s: unexpected argument '%s' (see jacspec %s --help)", verb, arg, verb);
      return 2;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const cli_opt *o = find_option(groups, name, len);
    if (!o) {
      cli_error("%s: unknown option '--%.*s' (see jacspec %s --help)", verb,
                (int)len, name, verb);
      return 2;
    }
    if (!o->metavar) {
      if (eq) {
        cli_error("%s: option '--%s' takes no value", verb, o->name);
        return 2;
      }
      *o->flag = 1;
    } else if (eq) {
      *o->value = eq + 1;
    } else if (i + 1 < argc) {
      *o->value = argv[++i];
    } else {
      cli_error("%s: option '--%s' needs a value %s", verb, o->name, o->metavar);
      return 2;
    }
  }
  return 0;
}

int cli_int(const char *name, const char *text, int64_t min, int64_t max,
            int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE) {
    cli_error("--%s: expected an integer, got '%s'", name, text);
    return 2;
  }
  if (v < min || v > max) {
    cli_error("--%s: %lld is out of range [%lld, %lld]", name, v, (long long)min,
              (long long)max);
    return 2;
  }
  *out = v;
  return 0;
}

int cli_seed(const char *name, const char *text, uint64_t *out) {
  int64_t seed;
  if (cli_int(name, text, 0, INT64_MAX, &seed))
    return 2;
  *out = (uint64_t)seed;
  return 0;
}

int cli_double(const char *name, const char *text, double min, double max,
               double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
    cli_error("--%s: expected a finite number, got '%s'", name, text);
    return 2;
  }
  if (v < min || v > max) {
    cli_error("--%s: %g is out of range [%g, %g]", name, v, min, max);
    return 2;
  }
  *out = v;
  return 0;
}

int cli_bytes(const char *name, const char *text, size_t *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  double unit = 1;
  switch (*end) {
  case 'K': case 'k': unit = 1024.0; end++; break;
  case 'M': case 'm': unit = 1024.0 * 1024; end++; break;
  case 'G': case 'g': unit = 1024.0 * 1024 * 1024; end++; break;
  case 'T': case 't': unit = 1024.0 * 1024 * 1024 * 1024; end++; break;
  default: break;
  }
  if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v <= 0 ||
      v * unit >= 0x1p62) {
    cli_error("--%s: expected a size such as 512M or 2G, got '%s'", name, text);
    return 2;
  }
  *out = (size_t)(v * unit);
  return 0;
}

int cli_int_list(const char *name, const char *text, int64_t min, int64_t max,
                 int64_t *out, int max_count, int *count) {
  char buf[512];
  if (strlen(text) >= sizeof buf || text[0] == '\0') {
    cli_error("--%s: expected a comma-separated list, got '%s'", name, text);
    return 2;
  }
  strcpy(buf, text);
  *count = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    if (*count == max_count) {
      cli_error("--%s: at most %d entries", name, max_count);
      return 2;
    }
    if (cli_int(name, tok, min, max, &out[*count]))
      return 2;
    (*count)++;
  }
  if (*count == 0) {
    cli_error("--%s: expected a comma-separated list, got '%s'", name, text);
    return 2;
  }
  return 0;
}

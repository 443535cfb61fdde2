/* Command-line options from a table: each entry names a long option and
 * where its value (a string) or its flag (an int) goes. The verbs convert
 * the strings afterwards, so every conversion error names its option. */
#ifndef JS_CLI_ARGS_H
#define JS_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

typedef struct cli_opt {
  const char *name;    /* without the leading "--" */
  const char *metavar; /* NULL for a flag */
  const char *help;
  const char **value;  /* set to the option's argument (options with metavar) */
  int *flag;           /* set to 1 (flags) */
} cli_opt;

/* A NULL-terminated list of option tables (groups), parsed together.
 * Returns 0, or prints one line to stderr and returns 2 (usage error).
 * `--help` prints the help of all groups and returns 1. */
int cli_parse(const char *verb, const char *summary, int argc, char **argv,
              const cli_opt *const *groups);
void cli_print_help(FILE *out, const char *verb, const char *summary,
                    const cli_opt *const *groups);

/* Strict conversions: the whole string must be a number in [min, max].
 * On error they print "jacspec: --name: ..." and return 2. */
int cli_int(const char *name, const char *text, int64_t min, int64_t max,
            int64_t *out);
int cli_double(const char *name, const char *text, double min, double max,
               double *out);
/* A seed: an integer in 0..2^63 - 1. */
int cli_seed(const char *name, const char *text, uint64_t *out);
/* "512", "2K", "1.5G", "300M": bytes. */
int cli_bytes(const char *name, const char *text, size_t *out);
/* "1,3,5": up to max_count integers in [min, max]. */
int cli_int_list(const char *name, const char *text, int64_t min, int64_t max,
                 int64_t *out, int max_count, int *count);

/* One line "jacspec: <message>" on stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* The last line cli_error printed (without "jacspec: "), for a rank whose
 * stderr is not shown to pass it to rank 0 (cli/parallel.h). */
const char *cli_last_error(void);

#endif

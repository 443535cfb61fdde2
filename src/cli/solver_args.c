#include "cli/solver_args.h"

#include <stdio.h>
#include <string.h>

static struct {
  const char *method, *side, *tol, *ncv, *maxiter;
} args;

/* The names --method and --side take, in the order their help lists them. */
typedef struct named {
  const char *name;
  int value;
} named;
static const named methods[] = {
    {"auto", JS_SVDS_AUTO}, {"gram", JS_SVDS_GRAM}, {"gkl", JS_SVDS_GKL}, {"dense", JS_SVDS_DENSE}};
static const named sides[] = {
    {"auto", JS_SIDE_AUTO}, {"outputs", JS_SIDE_OUTPUTS}, {"params", JS_SIDE_PARAMS}};
#define COUNT(table) (sizeof table / sizeof table[0])

const cli_opt cli_solver_options[] = {
    {"method", "M", "auto, gram (ARPACK on J J^T or J^T J), gkl (bidiagonalisation of J "
     "itself: small singular values to eps sigma_1) or dense (default auto: gkl for "
     "--smallest and below 1e-4 sigma_1, else gram)", &args.method, NULL},
    {"side", "SIDE", "auto, outputs (Lanczos on J J^T) or params (J^T J) (default auto)",
     &args.side, NULL},
    {"tol", "TOL", "relative accuracy of each singular value (default 1e-10; gram: ARPACK's "
     "tol sqrt(0.02 TOL), gkl: residual <= TOL sigma_1 / 100; 0: machine precision)",
     &args.tol, NULL},
    {"ncv", "N", "Lanczos basis size (default min(max(2r+1, 20), n))", &args.ncv, NULL},
    {"maxiter", "N", "maximum restarts (default 1000)", &args.maxiter, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* *value = the value named `text` in table, or one line naming the choices. */
static int parse_named(const char *option, const char *text, const named *table, size_t n,
                       int *value) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(text, table[i].name) == 0) {
      *value = table[i].value;
      return 0;
    }
  char choices[128] = "";
  for (size_t i = 0; i < n; i++)
    snprintf(choices + strlen(choices), sizeof choices - strlen(choices), "%s%s",
             i == 0 ? "" : i + 1 == n ? " or " : ", ", table[i].name);
  cli_error("--%s: expected %s, got '%s'", option, choices, text);
  return 2;
}

const char *cli_method_name(js_svds_method method) {
  for (size_t i = 0; i < COUNT(methods); i++)
    if (methods[i].value == (int)method)
      return methods[i].name;
  return "?";
}

int cli_solver_parse(js_svds_options *opt, uint64_t seed) {
  js_svds_options_init_defaults(opt);
  opt->seed = seed;
  int value;
  if (args.method) {
    if (parse_named("method", args.method, methods, COUNT(methods), &value))
      return 2;
    opt->method = (js_svds_method)value;
  }
  if (args.side) {
    if (parse_named("side", args.side, sides, COUNT(sides), &value))
      return 2;
    opt->side = (js_side)value;
  }
  if (args.tol && cli_double("tol", args.tol, 0, 1, &opt->tol))
    return 2;
  if (args.ncv && cli_int("ncv", args.ncv, 2, INT64_MAX, &opt->ncv))
    return 2;
  if (args.maxiter && cli_int("maxiter", args.maxiter, 1, INT64_MAX, &opt->max_iter))
    return 2;
  return 0;
}

int cli_rank_parse(const char *rank_name, const char *rank_text, const char *cutoff_text,
                   int64_t default_rank, js_svds_options *opt) {
  opt->top = default_rank;
  opt->cutoff = 0;
  if (rank_text && cutoff_text) {
    cli_error("give either --%s or --cutoff, not both", rank_name);
    return 2;
  }
  if (rank_text)
    return cli_int(rank_name, rank_text, 1, INT64_MAX, &opt->top);
  if (!cutoff_text)
    return 0;
  if (cli_double("cutoff", cutoff_text, 0, 1e300, &opt->cutoff))
    return 2;
  if (opt->cutoff <= 0) {
    cli_error("--cutoff: must be > 0");
    return 2;
  }
  return 0; /* opt->top stays: the solver's first guess in cut-off mode */
}

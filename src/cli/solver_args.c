#include "cli/solver_args.h"

#include <string.h>

static struct {
  const char *side, *tol, *ncv, *maxiter;
} args;

const cli_opt cli_solver_options[] = {
    {"side", "SIDE", "auto, outputs (Lanczos on J J^T) or params (J^T J) (default auto)",
     &args.side, NULL},
    {"tol", "TOL", "ARPACK tolerance (default 1e-12)", &args.tol, NULL},
    {"ncv", "N", "Lanczos basis size (default min(max(2r+1, 20), n))", &args.ncv, NULL},
    {"maxiter", "N", "maximum Lanczos restarts (default 1000)", &args.maxiter, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static int parse_side(const char *text, js_side *side) {
  static const struct {
    const char *name;
    js_side side;
  } sides[] = {{"auto", JS_SIDE_AUTO}, {"outputs", JS_SIDE_OUTPUTS}, {"params", JS_SIDE_PARAMS}};
  for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++)
    if (strcmp(text, sides[i].name) == 0) {
      *side = sides[i].side;
      return 0;
    }
  cli_error("--side: expected auto, outputs or params, got '%s'", text);
  return 2;
}

int cli_solver_parse(js_svds_options *opt, uint64_t seed) {
  js_svds_options_init_defaults(opt);
  opt->seed = seed;
  if (args.side && parse_side(args.side, &opt->side))
    return 2;
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

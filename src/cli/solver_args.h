/* The solver options every verb that computes singular triplets shares
 * (--method, --side, --tol, --ncv, --maxiter), and the choice of how many: a rank
 * (--top for spectrum, --rank for the analysis verbs) or --cutoff. */
#ifndef JS_CLI_SOLVER_ARGS_H
#define JS_CLI_SOLVER_ARGS_H

#include "cli/args.h"
#include "jacspec.h"

extern const cli_opt cli_solver_options[];

/* opt = the library defaults with the start vector from `seed`, then the
 * options given. Returns 0 or prints one line and returns 2. */
int cli_solver_parse(js_svds_options *opt, uint64_t seed);

/* "auto", "gram", "gkl" or "dense". */
const char *cli_method_name(js_svds_method method);

/* At most one of --<rank_name> (rank_text) and --cutoff (cutoff_text):
 * sets opt->top (default_rank when neither is given; in cut-off mode the
 * solver's first guess) and opt->cutoff (> 0 in cut-off mode, else 0).
 * Returns 0 or prints one line and returns 2. */
int cli_rank_parse(const char *rank_name, const char *rank_text, const char *cutoff_text,
                   int64_t default_rank, js_svds_options *opt);

#endif

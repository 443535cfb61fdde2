/* --gram explicit|implicit|auto: whether Lanczos on the outputs side
 * multiplies by J J^T formed explicitly (js_jacobian_gram: dense chains
 * only, (nK)^2 doubles) or by J (J^T x), the products. auto takes the
 * explicit Gram when it can be used, fits the memory the plan left, and
 * forming it plus the expected steps costs fewer flops than the products
 * (js_net_gram_cost). */
#ifndef JS_CLI_GRAM_H
#define JS_CLI_GRAM_H

#include "cli/args.h"
#include "cli/output.h"
#include "cli/problem.h"
#include "jacspec.h"

extern const cli_opt cli_gram_options[];

typedef struct cli_gram {
  int use;            /* 1: explicit */
  js_gram_cost cost;  /* when the network allows it */
  double seconds;     /* forming G (summed over the solves) */
  int64_t products;   /* products with G, summed over the solves */
  int64_t checks;     /* solves that checked G against J (J^T z) */
  double check;       /* the largest such difference (js_svds_result.gram_check) */
  js_linop *op;       /* G, once formed */
} cli_gram;

/* Why the explicit Gram cannot serve a js_svds solve under opt, or NULL
 * when it can. */
const char *cli_gram_svds_obstacle(const cli_problem *pb, const js_svds_options *opt);
/* The Gram products a js_svds solve under opt is expected to take. */
double cli_gram_svds_steps(const js_svds_options *opt);

/* Decides from --gram, after the memory plan, for a solve of `steps`
 * expected Gram products that `obstacle` (NULL: none) may rule out, and
 * plans memory again with G when it is chosen (cli_problem_plan_extra);
 * --verbose prints the choice and its reason. Returns 0, or prints one
 * line and returns 2 (--gram explicit where it cannot serve, or a bad
 * value) or 1 (G does not fit the budget). */
int cli_gram_decide(cli_problem *pb, const char *obstacle, double steps, cli_gram *g);
/* Forms G from the Jacobian when g->use, into g->op and *slot (the
 * solver's option). Returns 0, or prints one line and returns 1. */
int cli_gram_form(cli_gram *g, js_linop *jacobian, js_linop **slot);
/* Adds a solve's products with G and its check of G to g. */
void cli_gram_count(cli_gram *g, const js_svds_result *res);
/* JSON: "gram" (explicit or implicit), "gram_products", and with the
 * explicit Gram "gram_seconds" (forming it) and "gram_check" (the largest
 * relative difference of G z from J (J^T z) over the solves). */
void cli_gram_json(const cli_gram *g, json_writer *j);
/* The table's "# Gram: ..." line. */
void cli_gram_describe(const cli_gram *g, FILE *f);
void cli_gram_free(cli_gram *g);

#endif

/* --data SPEC for the synthetic generators. Each takes the part after
 * "gmm:", "parity:" or "lowrank:" (key=value pairs) and the part of the
 * samples to draw (part of parts: the rank's own of cli_ranks(), or 0 of 1
 * for all of them) and returns 0, or
 * prints one line and returns an exit code. The _spec functions only
 * parse the keys into the options (over their defaults), returning 0 or 2,
 * so the parser can be tested without generating data. */
#ifndef JS_CLI_GENERATORS_H
#define JS_CLI_GENERATORS_H

#include "jacspec.h"

/* gmm:n=,classes=,clusters=,dim=,sigma=,sep=,seed=,task= (Definition 3.4). */
int cli_load_gmm(const char *body, int part, int parts, js_dataset **out);
int cli_gmm_spec(const char *body, js_gmm_options *opt);
/* parity:n=,bits=,degree=,seed=,task=. */
int cli_load_parity(const char *body, int part, int parts, js_dataset **out);
int cli_parity_spec(const char *body, js_parity_options *opt);
/* lowrank:n=,dim=,rank=,sx=,sy=,task=,seed= (the linear model of section 2.1). */
int cli_load_lowrank(const char *body, int part, int parts, js_dataset **out);
int cli_lowrank_spec(const char *body, js_lowrank_options *opt);

#endif

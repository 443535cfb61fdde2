/* --data SPEC for the synthetic generators. Each takes the part after
 * "gmm:", "parity:" or "lowrank:" (key=value pairs) and returns 0, or
 * prints one line and returns an exit code. */
#ifndef JS_CLI_GENERATORS_H
#define JS_CLI_GENERATORS_H

#include "jacspec.h"

/* gmm:n=,classes=,clusters=,dim=,sigma=,sep=,seed=,task= (Definition 3.4). */
int cli_load_gmm(const char *body, js_dataset **out);
/* parity:n=,bits=,degree=,seed=,task=. */
int cli_load_parity(const char *body, js_dataset **out);
/* lowrank:n=,dim=,rank=,sx=,sy=,task=,seed= (the linear model of section 2.1). */
int cli_load_lowrank(const char *body, js_dataset **out);

#endif

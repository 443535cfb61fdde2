/* --data lowrank:n=,dim=,rank=,sx=,sy=,task=,seed=: the linear model of
 * the low-rank Jacobian paper's section 2.1 (js_dataset_lowrank). */
#ifndef JS_CLI_LOWRANK_SOURCE_H
#define JS_CLI_LOWRANK_SOURCE_H

#include "jacspec.h"

/* body: the part after "lowrank:". Returns 0, or prints one line and
 * returns an exit code. */
int cli_load_lowrank(const char *body, js_dataset **out);

#endif

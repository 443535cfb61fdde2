/* The command line on several processes (mpirun -np N jacspec ...): the
 * ranks of MPI_COMM_WORLD when built with -Dmpi, else one process. Each
 * rank loads its shard of the samples and computes its rows of J; rank 0
 * alone prints, reports progress and writes files: the other ranks'
 * stdout and stderr go to /dev/null, except the lines of cli_rank_log. */
#ifndef JS_CLI_PARALLEL_H
#define JS_CLI_PARALLEL_H

#include "jacspec.h"

#include <stdio.h>

/* Joins the processes (MPI_Init_thread) and silences the ranks above 0.
 * Returns 0, or prints one line and returns 1. */
int cli_parallel_init(int *argc, char ***argv);
void cli_parallel_finalize(void);
/* The processes, or NULL when there is only one. */
const js_comm *cli_comm(void);
int cli_rank(void);
int cli_ranks(void);
/* This rank's real stderr (for --verbose lines that every rank prints). */
FILE *cli_rank_log(void);
/* Collective: every rank passes its exit code and all return the same,
 * the code of the lowest-numbered rank that failed (0 when none did);
 * rank 0 prints that rank's error line (cli_last_error) when it did not
 * fail itself, so a failure on any rank is reported once and no rank
 * waits for another that gave up. */
int cli_agree(int rc);

#endif

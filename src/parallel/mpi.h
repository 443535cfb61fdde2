/* A js_comm on MPI_COMM_WORLD (built with -Dmpi). The command line uses
 * it; the rest of the library sees only the js_comm. */
#ifndef JS_PARALLEL_MPI_H
#define JS_PARALLEL_MPI_H

#include "jacspec.h"

/* Initialises MPI (MPI_Init_thread, funneled: only the main thread calls
 * MPI, the BLIS and OpenMP threads never do) and returns the js_comm of
 * MPI_COMM_WORLD. A program started without mpirun is rank 0 of 1. */
int js_mpi_init(int *argc, char ***argv, const js_comm **comm);
/* MPI_Finalize, when js_mpi_init initialised MPI. */
void js_mpi_finalize(void);
/* What the sums have cost so far on this rank: calls, seconds inside
 * them, and the bytes a rank sends for them (a tree reduction and
 * broadcast: 2 (size - 1) / size copies of each vector, on average). */
void js_mpi_sum_stats(int64_t *calls, double *seconds, int64_t *bytes);

#endif

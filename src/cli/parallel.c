/* The processes of a run (cli/parallel.h). */
#include "cli/parallel.h"

#include "cli/args.h"
#include "core/error.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#if JS_HAVE_MPI
#include "parallel/mpi.h"
#endif

static const js_comm *comm; /* NULL: one process */
static FILE *rank_log;

/* Started by mpirun (Open MPI, or a PMI launcher such as MPICH's or
 * Slurm's): without one the binary stays a plain single process, with no
 * MPI start-up at all. */
static int launched_by_mpirun(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

int cli_parallel_init(int *argc, char ***argv) {
  rank_log = stderr;
#if JS_HAVE_MPI
  const js_comm *world = NULL;
  if (!launched_by_mpirun())
    return 0;
  if (js_mpi_init(argc, argv, &world)) {
    cli_error("%s", js_last_error());
    return 1;
  }
  if (world->size > 1)
    comm = world;
#else
  (void)argc, (void)argv;
#endif
  if (cli_rank() == 0)
    return 0;
  /* Ranks above 0 keep their stderr for cli_rank_log only. */
  int log_fd = dup(STDERR_FILENO), null_fd = open("/dev/null", O_WRONLY);
  if (log_fd >= 0 && null_fd >= 0 && (rank_log = fdopen(log_fd, "w"))) {
    fflush(stdout);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
  }
  if (null_fd >= 0)
    close(null_fd);
  if (!rank_log)
    rank_log = stderr;
  return 0;
}

void cli_parallel_finalize(void) {
  if (rank_log && rank_log != stderr)
    fclose(rank_log);
  rank_log = NULL;
#if JS_HAVE_MPI
  js_mpi_finalize();
#endif
}

const js_comm *cli_comm(void) { return comm; }
int cli_rank(void) { return comm ? comm->rank : 0; }
int cli_ranks(void) { return comm ? comm->size : 1; }
FILE *cli_rank_log(void) { return rank_log ? rank_log : stderr; }

int cli_agree(int rc) {
  if (!comm)
    return rc;
  /* js_comm_agree carries the library's message: put this rank's line
   * there. The exit code travels as the status. */
  if (rc)
    js_fail(rc, "%s", cli_last_error());
  int agreed = js_comm_agree(comm, rc);
  if (agreed && !rc && comm->rank == 0)
    cli_error("%s", js_last_error());
  return agreed < 0 ? 1 : agreed;
}

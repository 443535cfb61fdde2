#!/bin/sh
# Strong scaling at 1 and 2 ranks (bench/mpi_scaling.c), one thread each:
#   bench/mpi_scaling.sh [BUILD_DIR]   (default build)
# Prints both runs and the speed-up of the Gram products and of the solve.
set -eu
build=${1:-build}
run() {
  mpirun --allow-run-as-root --oversubscribe --bind-to core -np "$1" "$build/bench/mpi_scaling"
}
run 1 | tee /tmp/mpi_scaling.1
run 2 | tee /tmp/mpi_scaling.2
for what in "J J^T x" svds; do
  t1=$(grep "^$what " /tmp/mpi_scaling.1 | sed 's/.*  \([0-9.]*\) s\/product.*/\1/')
  t2=$(grep "^$what " /tmp/mpi_scaling.2 | sed 's/.*  \([0-9.]*\) s\/product.*/\1/')
  awk -v w="$what" -v a="$t1" -v b="$t2" 'BEGIN { printf "speed-up at 2 ranks, %s: %.2fx\n", w, a / b }'
done

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
# field: "products  T s/product" (wall) or "cpu T s/product".
per_product() {
  grep "^$1 " "$2" | sed "s/.*$3 *\([0-9.]*\) s\/product.*/\1/"
}
for what in "J J^T x" svds; do
  for clock in products cpu; do
    a=$(per_product "$what" /tmp/mpi_scaling.1 "$clock")
    b=$(per_product "$what" /tmp/mpi_scaling.2 "$clock")
    awk -v w="$what" -v c="$clock" -v a="$a" -v b="$b" \
      'BEGIN { printf "speed-up at 2 ranks, %s (%s): %.2fx\n", w, c == "cpu" ? "cpu time" : "wall", a / b }'
  done
done

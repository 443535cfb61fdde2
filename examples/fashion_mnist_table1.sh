#!/bin/sh
# The paper's Table 1 on real images: three Fashion-MNIST classes (0 T-shirt,
# 1 trouser, 2 pullover), the paper's network (one hidden softplus layer, W1
# trained), information space = the top RANK singular directions. Prints the
# row for the Jacobian at initialisation (J_init), trains by gradient descent,
# and prints the row for the Jacobian at the trained weights (J_final).
#
# usage: fashion_mnist_table1.sh [JACSPEC]
#   JACSPEC     the jacspec binary (default: jacspec on PATH)
#   environment PER_CLASS (500), HIDDEN (256), RANK (50), STEPS (200)
# Full size (under a minute on 2 idle cores): examples/fashion_mnist_table1.sh build/src/cli/jacspec
# The tests run it with PER_CLASS=30 HIDDEN=32 RANK=10 STEPS=20.
set -eu
jacspec=${1:-jacspec}
per_class=${PER_CLASS:-500}
hidden=${HIDDEN:-256}
rank=${RANK:-50}
steps=${STEPS:-200}

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist" >&2
  exit 77 # meson's "skipped"
fi
weights=$(mktemp -d)
trap 'rm -rf "$weights"' EXIT INT TERM

data="--classes 0,1,2 --per-class $per_class --hidden $hidden --quiet"
echo "== J_init: the Jacobian at the paper's initialisation"
"$jacspec" split --data fashion-mnist:train $data --rank "$rank" --save-init "$weights/init"
echo
echo "== gradient descent, $steps steps (I and N from J_final, as in the paper's plots)"
"$jacspec" train --data fashion-mnist:train --test-data fashion-mnist:test $data \
  --init "$weights/init" --rank "$rank" --steps "$steps" --every $((steps / 4)) \
  --save "$weights/final"
echo
echo "== J_final: the Jacobian at the trained weights (r0 still the initial residual)"
"$jacspec" split --data fashion-mnist:train $data --rank "$rank" --init "$weights/final" \
  --residual-init "$weights/init"

#!/bin/sh
# The paper's section 4 end to end (Oymak, Fabian, Li and Soltanolkotabi,
# "Generalization guarantees for neural networks via harnessing the low-rank
# structure of the Jacobian"): ResNet20 without batch norm, least squares on
# one-hot labels, three classes, trained by SGD (batch 128, the learning
# rate cut by 10 at 65 % and 90 % of the run as the paper's 260 and 360 of
# 400 epochs) and by Adam (1e-3); I = the top RANK singular directions of J.
# Fashion-MNIST T-shirt, trouser and pullover stand in for CIFAR-10's three
# classes (which Debian does not ship); inputs standardised per channel as
# CIFAR pipelines do; PyTorch's default initialisation (resnet init=torch),
# which a BN-free PyTorch ResNet starts from. No data augmentation.
#
# usage: paper_section4.sh [ci|small|full] [OUT]
#   ci     ResNet8 of width 4 on 3 x 32 images, batch 32: the test's setting
#   small  ResNet20 of width 4 on 3 x 64 images, batch 64 (14.6 minutes with
#          JOBS=1 on one core, 13.2 CPU minutes: about 7-8 on 2 idle cores)
#   full   the paper's scale: ResNet20 (width 16) on 3 x 3333 training and
#          3 x 1000 test images, top 50 (days on 2 cores: use MPI)
#   OUT    the output folder (default paper_section4_SETTING)
#   environment: JACSPEC (the binary; default jacspec on PATH), JOBS (runs at
#   once, default 2; each on one thread)
#
# Writes into OUT: table1.csv, table2.csv, table3.csv (the paper's six
# columns for J_init and J_final), tables.md (beside the paper's numbers),
# fig5.png (singular-value density at init and after SGD), fig6.png,
# fig7.png, fig8.png (residual on I and N, train and test error), fig9.csv
# and fig9.png (the corruption sweep), summary.json (everything above), and
# each run's JSON and CSV. Every figure in the README comes from here.
set -eu
setting=${1:-small}
out=${2:-paper_section4_$setting}
jacspec=${JACSPEC:-jacspec}
jobs=${JOBS:-2}
here=$(dirname "$0")

case $setting in
ci)
  arch=resnet8:width=4,init=torch per_class=32 test_per_class=32 batch=32 lr=0.01 rank=5
  epochs=60 corrupt_epochs=120 adam_steps=60 every=4 probes=2 lanczos=20 ;;
small)
  arch=resnet20:width=4,init=torch per_class=64 test_per_class=64 batch=64 lr=0.005 rank=10
  epochs=60 corrupt_epochs=120 adam_steps=60 every=6 probes=4 lanczos=30 ;;
full)
  arch=resnet20:init=torch per_class=3333 test_per_class=1000 batch=128 lr=0.002 rank=50
  epochs=400 corrupt_epochs=800 adam_steps=400 every=100 probes=20 lanczos=120 ;;
*)
  echo "usage: $0 [ci|small|full] [OUT]" >&2
  exit 2 ;;
esac
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  echo "Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist" >&2
  exit 77 # meson's "skipped"
fi
mkdir -p "$out"
# lr: eta on the batch's sum 0.5 ||r_B||^2 (the paper's 0.01 is on a mean)
decay="$((epochs * 65 / 100)):0.1,$((epochs * 9 / 10)):0.1"
corrupt_decay="$((corrupt_epochs * 7 / 8)):0.1" # the paper's 700 of 800

train_data="--data fashion-mnist:train --classes 0,1,2 --per-class $per_class --standardize"
test_data="--test-data fashion-mnist:test --test-per-class $test_per_class"
net="--arch $arch --seed 1 --threads 1 --quiet"
sgd="--optimizer sgd --batch $batch --lr $lr"

# run NAME VERB ARGS...: one jacspec run, its stderr kept in NAME.log.
run() {
  name=$1
  shift
  if ! "$jacspec" "$@" > "$out/$name.txt" 2> "$out/$name.log"; then
    echo "$name failed: $jacspec $*" >&2
    cat "$out/$name.log" >&2
    return 1
  fi
}

# J_init for the clean and every corrupted labelling (the same Jacobian,
# other labels), then the trainings: each needs only theta_0.
# shellcheck disable=SC2086
run init split $train_data $net --rank "$rank" --save-init "$out/init" --json "$out/init.json"

# The runs, JOBS at a time. Each line: NAME VERB ARGS...
cat > "$out/runs" <<EOF
sgd train $train_data $test_data $net --init $out/init $sgd --epochs $epochs --lr-decay $decay --rank $rank --every $every --save $out/sgd_final --json $out/sgd.json --csv $out/fig6.csv --plot $out/fig6.png
adam train $train_data $test_data $net --init $out/init --optimizer adam --lr 0.001 --steps $adam_steps --rank $rank --every $every --save $out/adam_final --json $out/adam.json --csv $out/fig7.csv --plot $out/fig7.png
c0.5 train $train_data $test_data $net --init $out/init $sgd --corrupt 0.5 --epochs $corrupt_epochs --lr-decay $corrupt_decay --rank $rank --every $every --save $out/c0.5_final --json $out/c0.5.json --csv $out/fig8.csv --plot $out/fig8.png
density_init density $train_data $net --init $out/init --probes $probes --steps $lanczos --log --bins 40 --json $out/density_init.json
EOF
for rho in 0 0.25 0.75 1; do
  echo "init_c$rho split $train_data $net --init $out/init --corrupt $rho --rank $rank --json $out/init_c$rho.json" >> "$out/runs"
  echo "c$rho train $train_data $test_data $net --init $out/init $sgd --corrupt $rho --epochs $corrupt_epochs --lr-decay $corrupt_decay --space none --every $corrupt_epochs --save $out/c${rho}_final --json $out/c$rho.json" >> "$out/runs"
done
echo "init_c0.5 split $train_data $net --init $out/init --corrupt 0.5 --rank $rank --json $out/init_c0.5.json" >> "$out/runs"

# run_all FILE: the lines of FILE, JOBS at a time; fails if any failed.
run_all() {
  status=0
  pids=""
  while read -r line; do
    # shellcheck disable=SC2086
    run $line &
    pids="$pids $!"
    if [ "$(echo $pids | wc -w)" -ge "$jobs" ]; then
      for pid in $pids; do wait "$pid" || status=1; done
      pids=""
    fi
  done < "$1"
  for pid in $pids; do wait "$pid" || status=1; done
  return $status
}
run_all "$out/runs"

# J_final rows that train does not give (the corrupted runs' spaces at their
# final weights, r_0 at theta_0), and the density after training.
: > "$out/finals"
for rho in 0 0.25 0.5 0.75 1; do
  echo "final_c$rho split $train_data $net --init $out/c${rho}_final --residual-init $out/init --corrupt $rho --rank $rank --json $out/final_c$rho.json" >> "$out/finals"
done
echo "density_final density $train_data $net --init $out/sgd_final --probes $probes --steps $lanczos --log --bins 40 --json $out/density_final.json --compare $out/density_init.json --plot $out/fig5.png" >> "$out/finals"
run_all "$out/finals"

python3 "$here/paper_section4_tables.py" "$out" "$setting"

#!/bin/sh
# jacspec set-up and checks on Debian 12:
#   ./run.sh demo   install what is needed, build, and run the main job on the
#                   built-in default (GMM data, the paper's one-hidden-layer net)
#   ./run.sh test   install, build, and run the whole test suite
#   ./run.sh deps   only install the Debian packages
#   ./run.sh build  install, configure and build (in ./build), nothing more
#   ./run.sh ci     what .ci/run does: test, then build with the address and
#                   undefined-behaviour sanitizers (./build-sanitize) and run
#                   the unit and command-line tests there too
#   ./run.sh fuzz [SECONDS [JOBS]]  build the libFuzzer targets with clang
#                   (in ./build-fuzz) and run each for SECONDS (default 60),
#                   JOBS of them at a time (default 1)
#   ./run.sh bench [ARGS]  install python3-torch and python3-scipy too, build,
#                   and time jacspec against the torch + scipy peer in one run
#                   (bench/vs_peer.py ARGS: --per-class M --top R --threads N)
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential meson ninja-build pkg-config python3 libarpack2-dev
libblis-dev liblapack-dev libcmocka-dev zlib1g-dev dataset-fashion-mnist gnuplot-nox
protobuf-c-compiler libprotobuf-c-dev libonnx-testdata python3-onnx
libopenmpi-dev openmpi-bin libparpack2-dev"
# Only `fuzz` needs clang, its sanitizer and libFuzzer runtimes, its OpenMP
# and (llvm) llvm-cov for the coverage report.
FUZZ_PACKAGES="clang libclang-rt-14-dev libomp-dev llvm"

# deps [PACKAGE...]: installs the missing ones of PACKAGES and those given.
deps() {
  missing=""
  for p in $PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  echo "installing:$missing" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
}

build() {
  [ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
  ninja -C build >/dev/null
}

# run_tests DIR [SUITE...]: meson's tests in DIR (all suites, or those named).
run_tests() {
  dir=$1
  shift
  suites=""
  for s in "$@"; do suites="$suites --suite $s"; done
  # shellcheck disable=SC2086
  meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 $suites
}

# One "N passed, N failed" line over the testlog.json of every DIR given.
summary() {
  python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for build in sys.argv[1:]:
    for line in open(build + "/meson-logs/testlog.json"):
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
PY
}

tests() {
  status=0
  run_tests build || status=$?
  summary build
  return $status
}

# The unit and command-line suites again in build-sanitize, under
# AddressSanitizer (with LeakSanitizer) and UBSan, where any report aborts
# the program and so fails its test.
sanitize_build() {
  [ -f build-sanitize/build.ninja ] ||
    meson setup build-sanitize --buildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args="-fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
  ninja -C build-sanitize >/dev/null
}

# CI: both builds, both test runs, one summary line for the two.
ci() {
  status=0
  run_tests build || status=$?
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
    run_tests build-sanitize unit cli || status=$?
  summary build build-sanitize
  return $status
}

# Each target for $1 seconds, $2 targets at a time (default 1), new inputs
# kept in build-fuzz/corpus/TARGET beside the seeds of tests/fuzz/corpus/TARGET
# (and the past crashes of tests/fuzz/regressions/TARGET); a crash, leak,
# timeout or huge allocation is saved as build-fuzz/crashes/TARGET-* and fails
# the run. Copy it into tests/fuzz/regressions/TARGET/: the fuzz_replay_TARGET
# test then runs it.
fuzz() {
  seconds=${1:-60}
  jobs=${2:-1}
  [ -f build-fuzz/build.ninja ] ||
    CC=clang meson setup build-fuzz -Dfuzz=enabled -Db_lundef=false \
      --buildtype=debugoptimized >/dev/null
  ninja -C build-fuzz >/dev/null
  mkdir -p build-fuzz/crashes
  # Target i runs in group i mod jobs; each group runs its targets in turn.
  rm -f build-fuzz/group*.list
  group=0
  for name in $(fuzz_targets); do
    echo "$name" >>"build-fuzz/group$group.list"
    group=$(((group + 1) % jobs))
  done
  group=0
  while [ "$group" -lt "$jobs" ] && [ -f "build-fuzz/group$group.list" ]; do
    (for name in $(cat "build-fuzz/group$group.list"); do fuzz_one "$name" "$seconds"; done) &
    group=$((group + 1))
  done
  wait
  rm -f build-fuzz/group*.list
  status=0
  for name in $(fuzz_targets); do
    cat "build-fuzz/$name.result"
    grep -q FAILED "build-fuzz/$name.result" && status=1
  done
  fuzz_coverage
  return $status
}

fuzz_targets() {
  for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    [ "$name" = util ] || echo "$name"
  done
}

# One target for $2 seconds; its line of results in build-fuzz/NAME.result.
fuzz_one() {
  name=$1
  mkdir -p "build-fuzz/corpus/$name"
  # -close_fd_mask=3: the parsers' error lines would drown libFuzzer's own.
  if ! "build-fuzz/tests/fuzz/fuzz_$name" -max_total_time="$2" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=512 -close_fd_mask=3 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$name-" \
      "build-fuzz/corpus/$name" "tests/fuzz/corpus/$name" \
      $(ls -d "tests/fuzz/regressions/$name" 2>/dev/null) >"build-fuzz/$name.log" 2>&1; then
    { echo "$name: FAILED (build-fuzz/$name.log)"
      grep -m1 -E "ERROR|SUMMARY|runtime error" "build-fuzz/$name.log" || true
    } >"build-fuzz/$name.result"
    return
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$name.log")
  cov=$(grep -E '^#[0-9]+' "build-fuzz/$name.log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]*')
  echo "$name: $runs runs, $cov, corpus $(ls "build-fuzz/corpus/$name" | wc -l) files" \
    >"build-fuzz/$name.result"
}

# Line coverage of the sources each target names in its "Covers:" line, by
# its whole corpus, replayed (replay.c) in a build with clang's source-based
# coverage (./build-coverage), which skips checksums as the fuzz build does.
fuzz_coverage() {
  [ -f build-coverage/build.ninja ] ||
    CC=clang meson setup build-coverage --buildtype=debug \
      -Dc_args="-fprofile-instr-generate -fcoverage-mapping -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" \
      -Dc_link_args=-fprofile-instr-generate >/dev/null
  for name in $(fuzz_targets); do
    sources=$(sed -n 's|^/\* Covers: \(.*\) \*/$|\1|p' "tests/fuzz/fuzz_$name.c")
    [ -n "$sources" ] || continue
    ninja -C build-coverage "tests/fuzz/replay_$name" >/dev/null
    rm -f "build-coverage/$name.profraw"
    LLVM_PROFILE_FILE="build-coverage/$name.profraw" "build-coverage/tests/fuzz/replay_$name" \
      "build-fuzz/corpus/$name" "tests/fuzz/corpus/$name" \
      $(ls -d "tests/fuzz/regressions/$name" 2>/dev/null) >/dev/null 2>&1 || true
    llvm-profdata merge -o "build-coverage/$name.profdata" "build-coverage/$name.profraw"
    # Lines found (LF) and hit (LH) of the named files, from the lcov export
    # (llvm-cov report's own file filter does not match meson's ../ paths).
    lines=$(llvm-cov export -format=lcov -instr-profile="build-coverage/$name.profdata" \
        "build-coverage/tests/fuzz/replay_$name" |
      awk -v files="$sources" '
        BEGIN { n = split(files, want, " ") }
        /^SF:/ { keep = 0; for (i = 1; i <= n; i++) if (index($0, "/" want[i]) == length($0) - length(want[i])) keep = 1 }
        keep && /^LF:/ { found += substr($0, 4) }
        keep && /^LH:/ { hit += substr($0, 4) }
        END { printf "%.1f%% (%d of %d)", found ? 100 * hit / found : 0, hit, found }')
    echo "$name: $lines of the lines of $sources covered"
  done
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build ;;
  demo) deps; build; build/src/cli/jacspec spectrum ;;
  test) deps; build; tests ;;
  fuzz) deps $FUZZ_PACKAGES; fuzz "${2:-60}" "${3:-1}" ;;
  ci) deps; build; sanitize_build; ci ;;
  # Debian's python3, not one earlier in PATH: that is where the packages are.
  bench) shift; deps python3-torch python3-scipy; build; /usr/bin/python3 bench/vs_peer.py "$@" ;;
  *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

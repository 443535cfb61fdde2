#!/bin/sh
# jacspec set-up and checks on Debian 12:
#   ./run.sh demo   install what is needed, build, and run the main job on the
#                   built-in default (GMM data, the paper's one-hidden-layer net)
#   ./run.sh test   install, build, and run the whole test suite
#   ./run.sh deps   only install the Debian packages
#   ./run.sh build  install, configure and build (in ./build), nothing more
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential meson ninja-build pkg-config python3 libarpack2-dev
libblis-dev liblapack-dev libcmocka-dev zlib1g-dev dataset-fashion-mnist gnuplot-nox"

deps() {
  missing=""
  for p in $PACKAGES; do
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

tests() {
  status=0
  meson test -C build --no-rebuild --print-errorlogs --num-processes 2 || status=$?
  python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
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
  return $status
}

case "${1:-}" in
  deps) deps ;;
  build) deps; build ;;
  demo) deps; build; build/src/cli/jacspec spectrum ;;
  test) deps; build; tests ;;
  *) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

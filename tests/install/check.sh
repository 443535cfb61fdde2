#!/bin/sh
# Installs the build into a temporary prefix and builds a program outside the
# tree against it, as a user would: cc prog.c $(pkg-config --cflags --libs jacspec).
# usage: check.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT INT TERM

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
prefix=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root="$dest$prefix"
pc=$(find "$root" -name jacspec.pc)
[ -n "$pc" ] || { echo "jacspec.pc was not installed"; exit 1; }
for f in include/jacspec.h bin/jacspec share/man/man1/jacspec.1; do
  [ -e "$root/$f" ] || { echo "$f was not installed"; exit 1; }
done
ls "$(dirname "$(dirname "$pc")")"/libjacspec.so.* >/dev/null
ls "$(dirname "$(dirname "$pc")")"/libjacspec.a >/dev/null

export PKG_CONFIG_PATH="$(dirname "$pc")"
pkgconf="pkg-config --define-variable=prefix=$root"
libdir=$($pkgconf --variable=libdir jacspec)

# Shared: every example builds and runs against the installed library only.
for example in "$src"/examples/*.c; do
  name=$(basename "$example" .c)
  cc -o "$dest/$name" "$example" $($pkgconf --cflags --libs jacspec) -lm -Wl,-rpath,"$libdir"
  "$dest/$name" >/dev/null || { echo "installed example $name failed"; exit 1; }
done
# The shared library exports the public API (versioned) and nothing internal.
symbols=$(nm -D --defined-only "$libdir/libjacspec.so")
echo "$symbols" | grep -Eq " js_svds(@@.*)?$" || { echo "js_svds is not exported"; exit 1; }
if echo "$symbols" | grep -Eq " js_fail(@@.*)?$"; then
  echo "internal symbol js_fail is exported"; exit 1
fi

# Static: the archive plus its private dependencies.
cc -o "$dest/static_example" "$src/examples/top_singular_values.c" \
  $($pkgconf --cflags jacspec) "$libdir/libjacspec.a" $($pkgconf --static --libs jacspec | sed "s/-ljacspec//") -lm
"$dest/static_example" 120 16 4 | grep -q "sigma_1"
"$root/bin/jacspec" --version | grep -q "jacspec"
echo "install check passed"

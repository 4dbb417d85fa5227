#!/bin/sh
# uv_hidden.sh IN.a OUT.a: Debian's libuv_a.a, made linkable into libgreen.so.
#
# The archive is built as position-independent executable code, not shared
# library code: seven PC-relative references to glibc data (environ,
# in6addr_any, stderr) cannot be linked into a shared object. They sit only
# in functions the runtime never calls (uv_os_environ, uv_spawn, UDP bind,
# uv_print_*_handles), so they are renamed to libgreen's own hidden
# placeholders (runtime/uv_placeholders.cc). Everything else is unchanged;
# the shim's link then hides every libuv symbol (--exclude-libs), so a
# program's own libuv never clashes with ours (DESIGN "Dependencies").
# $OBJCOPY and $AR (default objcopy, ar) must handle the archive's target:
# runtime/meson.build passes the cross tools in a cross build.
set -eu
objcopy=${OBJCOPY:-objcopy}
ar=${AR:-ar}
in=$1
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$ar" x "$in"
for o in *.o; do
    "$objcopy" --redefine-sym environ=green_uv_environ \
            --redefine-sym in6addr_any=green_uv_in6addr_any \
            --redefine-sym stderr=green_uv_stderr "$o"
done
rm -f "$out"
"$ar" rcs "$out" *.o

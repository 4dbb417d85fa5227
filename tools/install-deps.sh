#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages libgreen's build, tests and
# demo need, when any is missing (apt-get update first). Root or sudo.
#   required: meson ninja-build g++ pkg-config libuv1-dev catch2 python3
#   optional: rustc (the Rust differential tests), gnuplot-nox (bench plots),
#             strace (the daemon_strace differential test), gdb ltrace
#             valgrind (tests/tools/tracers_test.py), and the real
#             daemons of tests/daemons with their clients (installed without
#             starting their services): mariadb-server mariadb-client
#             redis-server redis-tools memcached libmemcached-tools apache2
#             apache2-utils, and Debian python3's own test suite
#             (libpython3.X-testsuite, for tests/cpython)
set -euo pipefail

required=(meson ninja-build g++ pkg-config libuv1-dev catch2 python3)
optional=(rustc gnuplot-nox strace gdb ltrace valgrind mariadb-server mariadb-client redis-server redis-tools
          memcached libmemcached-tools apache2 apache2-utils)
# CPython's regression tests (tests/cpython): the package of Debian's python3.
if [ -x /usr/bin/python3 ]; then
    optional+=("libpython$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-testsuite")
fi

missing() {
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}

mapfile -t need < <(missing "${required[@]}")
mapfile -t want < <(missing "${optional[@]}")
[ ${#need[@]} -eq 0 ] && [ ${#want[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        [ ${#need[@]} -eq 0 ] && exit 0
        echo "install-deps.sh: missing ${need[*]}; as root run: apt-get install ${need[*]}" >&2
        exit 1
    fi
    sudo=(sudo)
fi
echo "install-deps.sh: installing ${need[*]} ${want[*]}" >&2
"${sudo[@]}" apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
[ ${#need[@]} -eq 0 ] || "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
# A daemon's package must not start its service here (policy-rc.d: 101).
policy=/usr/sbin/policy-rc.d
placed_policy=no
if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee $policy >/dev/null && "${sudo[@]}" chmod +x $policy && placed_policy=yes
fi
for pkg in "${want[@]}"; do
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
        echo "install-deps.sh: optional $pkg not installed" >&2
done
[ $placed_policy = no ] || "${sudo[@]}" rm -f $policy

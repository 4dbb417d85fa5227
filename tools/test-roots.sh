#!/usr/bin/env bash
# test-roots.sh: builds libgreen and runs its test suite (the asm backend)
# inside Debian roots other than the host's, to check the supported range
# (glibc 2.31 to 2.41, libuv 1.40 to 1.50; see README "Support matrix").
#
# usage: bash tools/test-roots.sh [--prepare] [bullseye|trixie|all]   (default: all)
#        --prepare: only make (or check) the cached roots, run nothing
#
# Each root is made once with debootstrap from deb.debian.org and cached
# under /var/cache/libgreen-roots/<suite> (reused when present; delete the
# directory to rebuild it). The source tree (tracked and untracked files,
# not build directories) is copied into the root at /src on every run.
# Prints per root: distribution, glibc, libuv, compiler, meson and the
# test result line. Exit status 1 when a root fails to build or test.
# Needs root (debootstrap, chroot, mount).
set -euo pipefail

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache=/var/cache/libgreen-roots
mirror=http://deb.debian.org/debian
deps=(meson ninja-build g++ pkg-config libuv1-dev catch2 python3)

prepare=0
[ "${1:-}" = "--prepare" ] && { prepare=1; shift; }
case "${1:-all}" in
    bullseye|trixie) suites=("$1") ;;
    all) suites=(bullseye trixie) ;;
    *) echo "usage: $0 [--prepare] [bullseye|trixie|all]" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || { echo "test-roots.sh: needs root (debootstrap, chroot, mount)" >&2; exit 2; }

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
    mounted=()
}
trap cleanup EXIT INT TERM

mount_root() {
    local r="$1"
    mkdir -p "$r/proc" "$r/dev/pts"
    mount -t proc proc "$r/proc" && mounted+=("$r/proc")
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts" && mounted+=("$r/dev/pts")
    # sem_open needs /dev/shm; getaddrinfo("localhost") needs /etc/hosts
    mkdir -p "$r/dev/shm"
    mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm" && mounted+=("$r/dev/shm")
    [ -f "$r/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$r/etc/hosts"
}

make_root() {
    local suite="$1" r="$cache/$1"
    [ -f "$r/.libgreen-root-ready" ] && return 0
    command -v debootstrap >/dev/null || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    }
    echo "== $suite: making the root in $r (once)" >&2
    rm -rf "$r"
    mkdir -p "$cache"
    debootstrap --variant=minbase "$suite" "$r" "$mirror" >"$cache/$suite.debootstrap.log" 2>&1 || {
        echo "$suite: debootstrap failed, see $cache/$suite.debootstrap.log" >&2; return 1; }
    mount_root "$r"
    chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${deps[*]}" \
        >"$cache/$suite.apt.log" 2>&1 || {
        cleanup; echo "$suite: apt-get install failed, see $cache/$suite.apt.log" >&2; return 1; }
    cleanup
    touch "$r/.libgreen-root-ready"
}

run_root() {
    local suite="$1" r="$cache/$1" t0=$SECONDS
    make_root "$suite" || return 1
    rm -rf "$r/src"
    mkdir -p "$r/src"
    git -C "$src" ls-files -co --exclude-standard -z | grep -zv '^build' \
        | (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$r/src"
    mount_root "$r"
    local status=0
    chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 sh -c '
        cd /src
        . /etc/os-release
        echo "distribution: $PRETTY_NAME"
        echo "glibc: $(ldd --version | head -1 | sed "s/.* //")"
        echo "libuv: $(pkg-config --modversion libuv)"
        echo "compiler: $(g++ --version | head -1)"
        echo "meson: $(meson --version), ninja: $(ninja --version)"
        meson setup build -Dswitch=asm >build-setup.log 2>&1 || { echo "result: meson setup FAILED"; tail -20 build-setup.log; exit 1; }
        ninja -C build -j2 >build-ninja.log 2>&1 || { echo "result: build FAILED"; grep -E "error|FAILED" build-ninja.log | head -20; exit 1; }
        meson test -C build --num-processes 2 --print-errorlogs >build-test.log 2>&1; rc=$?
        grep -E "^ *[0-9]+/[0-9]+ " build-test.log | grep -vE " OK |EXPECTEDFAIL| SKIP " | awk "!seen[\$0]++" || true
        echo "result: $(grep -E "^(Ok|Fail|Expected Fail|Unexpected Pass|Skipped|Timeout): " build-test.log | tr -s " " | paste -sd, -)"
        # what a failed test printed, so a CI log alone can explain it
        [ $rc = 0 ] || awk "/^ *[0-9]+\/[0-9]+ .*(ERROR|FAIL|TIMEOUT)/ {p = 1} p && n < 150 {print; n++}" build-test.log
        exit $rc
    ' 2>&1 | sed "s/^/[$suite] /" || status=1
    cleanup
    echo "[$suite] time: $((SECONDS - t0)) s (log: $r/src/build-test.log)"
    return $status
}

overall=0
for s in "${suites[@]}"; do
    if [ $prepare = 1 ]; then
        t0=$SECONDS
        if make_root "$s"; then
            echo "[$s] root ready in $cache/$s ($((SECONDS - t0)) s)"
        else
            overall=1
        fi
    else
        run_root "$s" || overall=1
    fi
done
exit $overall

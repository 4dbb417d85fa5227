#!/usr/bin/env bash
# test-aarch64.sh: builds libgreen for aarch64 with Debian's cross compiler
# (-Dswitch=asm, runtime/context_asm_aarch64.cc) and runs it under qemu-user:
# the runtime's Catch2 tests, bench/runtime_switch, and a few differential
# programs preloaded with the aarch64 libgreen.so. Installs what is missing
# (adds the arm64 dpkg architecture for libuv1-dev:arm64, libstdc++6:arm64).
# Root or sudo.
#
# Registers qemu-aarch64 with binfmt_misc when it can (root, mounting
# /proc/sys/fs/binfmt_misc if needed): the runtime tests exec /proc/self/exe
# for their death tests, and qemu-user alone cannot exec an aarch64 binary.
# On a shared host that registration is visible machine-wide; it is what
# Debian's qemu-user-static would do with binfmt-support installed.
#
# usage: tools/test-aarch64.sh [--deps-only] [--ucontext]
#   --deps-only  install the packages and stop
#   --ucontext   also run the runtime tests of a -Dswitch=ucontext cross build
# Build dirs: build-aarch64-asm (and build-aarch64-ucontext), or $BUILD_PREFIX-*.
# Emulated timings are indicative only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
prefix="${BUILD_PREFIX:-$root/build-aarch64}"
deps_only=0
ucontext=0
for arg in "$@"; do
    case "$arg" in
    --deps-only) deps_only=1 ;;
    --ucontext) ucontext=1 ;;
    *) echo "usage: $0 [--deps-only] [--ucontext]" >&2; exit 2 ;;
    esac
done

bash tools/install-deps.sh

required=(g++-aarch64-linux-gnu qemu-user-static libuv1-dev:arm64 libstdc++6:arm64)

missing() {
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
    done
}

mapfile -t need < <(missing "${required[@]}")
if [ ${#need[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "test-aarch64.sh: missing ${need[*]}; as root run: dpkg --add-architecture arm64;" \
                 "apt-get update; apt-get install ${need[*]}" >&2
            exit 1
        }
        sudo=(sudo)
    fi
    echo "test-aarch64.sh: installing ${need[*]}" >&2
    dpkg --print-foreign-architectures | grep -qx arm64 || "${sudo[@]}" dpkg --add-architecture arm64
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null
fi
[ $deps_only -eq 1 ] && exit 0

# binfmt: an aarch64 binary runs directly, exec included.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e $binfmt/qemu-aarch64 ] && [ "$(id -u)" -eq 0 ]; then
    [ -e $binfmt/register ] || mount -t binfmt_misc binfmt_misc $binfmt 2>/dev/null || true
    [ -e $binfmt/register ] && cat /usr/lib/binfmt.d/qemu-aarch64.conf >$binfmt/register 2>/dev/null || true
fi
if [ -e $binfmt/qemu-aarch64 ]; then
    echo "test-aarch64.sh: qemu-aarch64 is registered with binfmt_misc" >&2
else
    echo "test-aarch64.sh: no binfmt_misc for qemu-aarch64: the death tests that exec" \
         "/proc/self/exe will fail" >&2
fi
qemu=(qemu-aarch64-static)
cross=tools/cross/aarch64-linux-gnu.ini
status=0

build() {  # build DIR BACKEND
    [ -d "$1" ] || meson setup "$1" --cross-file "$cross" -Dswitch="$2" >/dev/null
    ninja -C "$1" >/dev/null
}

run_tests() {  # run_tests DIR: the Catch2 runtime tests, via the cross file's exe_wrapper
    echo "== runtime tests (aarch64, qemu, switch=$2)"
    timeout 900 meson test -C "$1" --suite runtime --num-processes 2 --print-errorlogs \
        >"$1/test-output.txt" 2>&1 || status=1
    grep -E '^ *[0-9]+/[0-9]+ |^Ok:|^Fail:|^Skipped:' "$1/test-output.txt" || true
    python3 tools/count_results.py "$1/meson-logs/testlog.json" || status=1
}

asm="$prefix-asm"
build "$asm" asm
run_tests "$asm" asm

echo "== bench/runtime_switch (aarch64 asm, emulated: indicative only)"
timeout 600 "${qemu[@]}" "$asm/bench/runtime_switch" || status=1

# A few differential programs, run natively and with the aarch64 libgreen.so
# preloaded (qemu passes LD_PRELOAD to the guest). Reported, not counted:
# Debian 12's qemu 7.2 has no process_vm_readv/writev (ENOSYS), which the
# shim's copy_in/copy_out (runtime/io/user_memory.h) take for EFAULT, so under
# qemu preloaded programs fail until the shim falls back on ENOSYS.
if [ -f "$asm/shim/libgreen.so" ]; then
    echo "== differential programs (aarch64, qemu; informative)"
    for p in io/io_echo io/io_poll io/io_sleep sync/sync_cpp_locks sync/sync_barrier; do
        exe="$asm/tests/programs/$p"
        [ -x "$exe" ] || continue
        timeout 300 python3 tests/diff/difftest.py --lib "$asm/shim/libgreen.so" --timeout 240 \
            --name "$(basename "$p")" -- "${qemu[@]}" "$exe" | grep -E '^(not )?ok' || true
    done
fi

if [ $ucontext -eq 1 ]; then
    uc="$prefix-ucontext"
    build "$uc" ucontext
    run_tests "$uc" ucontext
    echo "== bench/runtime_switch (aarch64 ucontext, emulated: indicative only)"
    timeout 600 "${qemu[@]}" "$uc/bench/runtime_switch" || status=1
fi
exit $status

#!/usr/bin/env bash
# test.sh: the README's test command. Installs what is missing, builds
# libgreen twice (the asm context switch, the default, and the portable
# ucontext one), runs every test on both, and ends with one line
# `N passed, N failed, N skipped` counting individual test cases (each
# Catch2 case, each differential program run). Exit status 1 on a failure.
#
# usage: tools/test.sh [--quick]   (--quick: the asm build only)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/install-deps.sh

backends=(asm ucontext)
[ "${1:-}" = "--quick" ] && backends=(asm)

logs=()
status=0
for b in "${backends[@]}"; do
    dir="build-test-$b"
    [ -d "$dir" ] || meson setup "$dir" -Dswitch="$b" >/dev/null
    ninja -C "$dir" >/dev/null
    echo "== tests, context switch: $b" >&2
    meson test -C "$dir" --num-processes 2 --print-errorlogs >"$dir/test-output.txt" 2>&1 || status=1
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" >&2 || true
    logs+=("$dir/meson-logs/testlog.json")
done
python3 tools/count_results.py "${logs[@]}" || status=1
exit $status

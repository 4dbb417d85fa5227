#!/usr/bin/env bash
# fuzz.sh: the differential fuzzer over many seeds (issue #16).
#
# usage: tools/fuzz.sh [COUNT [START]]      (default: 1000 seeds from 1)
#   env: FUZZ_CALLS (400), FUZZ_THREADS (3; 0 = single-threaded mode only),
#        FUZZ_BUILD (build), GREEN_HUBS (passed to the preloaded run),
#        FUZZ_NATIVE_TWICE=1 (compare two native runs instead: checks that
#        the fuzzer itself is deterministic), FUZZ_TIMEOUT (30 s per run)
#
# Each seed runs tests/programs/fuzz/fuzz_calls.c single-threaded and with
# FUZZ_THREADS threads, natively and under LD_PRELOAD=libgreen.so; stdout and
# exit status must match. Prints each diverging seed with its mode and the
# first differing lines, and exits 1 if any diverged. A native run that times
# out is reported as a fuzzer bug (every call it makes must be bounded).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
count="${1:-1000}"
start="${2:-1}"
calls="${FUZZ_CALLS:-400}"
threads="${FUZZ_THREADS:-3}"
build="${FUZZ_BUILD:-$root/build}"
tmo="${FUZZ_TIMEOUT:-30}"
exe="$build/tests/programs/fuzz_s1"
lib="$build/shim/libgreen.so"
[ -x "$exe" ] && [ -f "$lib" ] || { echo "fuzz.sh: build first: ninja -C $build" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bad=0
modes=(single)
[ "$threads" -gt 1 ] && modes+=("threads")

run() {  # run OUT [preload]
    local out="$1"; shift
    if [ "${1:-}" = green ]; then
        shift
        LD_PRELOAD="$lib" timeout "$tmo" "$exe" "$@" >"$out" 2>"$out.err"
    else
        env -u LD_PRELOAD timeout "$tmo" "$exe" "$@" >"$out" 2>"$out.err"
    fi
    echo "exit $?" >>"$out"
}

for ((seed = start; seed < start + count; seed++)); do
    for mode in "${modes[@]}"; do
        args=(--seed "$seed" --calls "$calls")
        [ "$mode" = threads ] && args+=(--threads "$threads")
        run "$tmp/native" "${args[@]}"
        if [ "${FUZZ_NATIVE_TWICE:-0}" = 1 ]; then
            run "$tmp/other" "${args[@]}"
        else
            run "$tmp/other" green "${args[@]}"
        fi
        if grep -q '^exit 124$' "$tmp/native"; then
            echo "seed $seed ($mode): the NATIVE run timed out (a fuzzer bug: an unbounded call)"
            tail -3 "$tmp/native" | sed 's/^/    /'
            bad=1
            continue
        fi
        if ! cmp -s "$tmp/native" "$tmp/other"; then
            bad=1
            echo "seed $seed ($mode): DIVERGES  (rerun: $exe ${args[*]})"
            diff "$tmp/native" "$tmp/other" | grep '^[<>]' | head -6 | sed 's/^/    /'
        fi
    done
    if (( (seed - start + 1) % 100 == 0 )); then
        echo "fuzz.sh: $((seed - start + 1)) of $count seeds done" >&2
    fi
done
if [ "$bad" = 0 ]; then
    echo "fuzz.sh: $count seeds from $start: no divergence"
fi
exit $bad

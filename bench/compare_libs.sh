#!/usr/bin/env bash
# compare_libs.sh: two libgreen builds side by side, for "no regression"
# claims (a restructure, a refactor). The same microbenchmark binaries run
# under each library in turn, ROUNDS times, interleaved, so that whatever
# else the machine does falls on both; each line prints both medians and
# new/old. runtime_switch (the runtime alone) runs from each build.
#
# usage: bench/compare_libs.sh OLD_BUILD NEW_BUILD [ROUNDS]
#   a build directory holds shim/libgreen.so, bench/runtime_switch and
#   bench/micro_*; the micro binaries are NEW_BUILD's (they know nothing of
#   libgreen). MICRO_SECONDS (default 0.5) sets each timed loop.
set -euo pipefail
old=$1 new=$2 rounds=${3:-5}
export MICRO_SECONDS=${MICRO_SECONDS:-0.5}
micros=(micro_thread_create micro_mutex micro_condvar_pingpong micro_pipe_pingpong micro_nanosleep)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < rounds; r++)); do
    for side in old new; do
        dir=${!side}
        for m in "${micros[@]}"; do
            LD_PRELOAD="$dir/shim/libgreen.so" taskset -c 0 "$new/bench/$m" >>"$tmp/$side" 2>/dev/null || true
        done
        taskset -c 0 "$dir/bench/runtime_switch" 2>/dev/null | grep -v '^#' >>"$tmp/$side" || true
    done
done
python3 - "$tmp/old" "$tmp/new" <<'PY'
import statistics, sys
def load(p):
    d = {}
    for line in open(p):
        parts = line.split()
        if len(parts) >= 2:
            try: d.setdefault(parts[0], []).append(float(parts[1]))
            except ValueError: pass
    return d
old, new = load(sys.argv[1]), load(sys.argv[2])
print(f"| benchmark | old (median) | new (median) | new / old |")
print(f"|---|---:|---:|---:|")
for k in old:
    if k in new:
        o, n = statistics.median(old[k]), statistics.median(new[k])
        print(f"| {k} | {o:.1f} | {n:.1f} | {n / o:.2f} |")
PY

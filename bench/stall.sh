#!/usr/bin/env bash
# stall.sh: issue #12's stall benchmark. How late a 10 ms sleeper gets
# beside a thread that computes for 1 s, and beside threads blocked 1 s in
# reads libgreen cannot see (a raw `syscall` instruction and
# syscall(SYS_read, ...)), natively and under libgreen on one hub with
# hand-off (the default GREEN_HANDOFF_MS=10) and without it (0), in one run.
# Target: at most 20 ms late with hand-off. The programs are the
# differential tests tests/programs/sched/*.c; they print the worst lateness
# on stderr. Without hand-off the raw read hangs for ever: it is cut at 5 s.
#
# usage: bench/stall.sh [BUILD] [ROUNDS]   (BUILD: a build directory, default build)
set -euo pipefail
build=${1:-build} rounds=${2:-3}
lib=$(readlink -f "$build/shim/libgreen.so")
worst() {  # worst lateness printed by a program ("N ms"), or "hung" (cut at 5 s)
    local out rc=0
    out=$(timeout 5 env "$@" 2>&1 >/dev/null) || rc=$?
    [ $rc -eq 124 ] && { echo hung; return; }
    echo "$(sed -n 's/.*worst \([0-9]*\) ms late.*/\1/p' <<<"$out" | tail -1) ms"
}
printf '# %s, %s CPUs, %s\n' "$(uname -m)" "$(nproc)" "$(date -u +%F)"
printf '%-26s %8s %18s %18s\n' program native libgreen "libgreen,no-handoff"
for p in sched_cpu_stall sched_raw_syscall_stall; do
    exe="$build/tests/programs/$p"
    for ((r = 0; r < rounds; r++)); do
        n=$(worst GREEN_UNUSED=1 "$exe")
        g=$(worst GREEN_HUBS=1 LD_PRELOAD="$lib" "$exe")
        o=$(worst GREEN_HUBS=1 GREEN_HANDOFF_MS=0 LD_PRELOAD="$lib" "$exe")
        printf '%-26s %9s %18s %18s\n' "$p" "$n" "$g" "$o"
    done
done

#!/usr/bin/env bash
# cpu_bench.sh: issue #12's several-cores benchmark, in one run. A
# thread-per-connection server whose every request costs W µs of CPU
# (bench/cpu_server.c), with few connections so the client (bench/cpu_load,
# one epoll thread, always native) costs little: native threads vs libgreen
# on GREEN_HUBS=1 vs GREEN_HUBS=auto without stealing (GREEN_STEAL=0) and
# with it (the default), uniform and skewed (a quarter of the
# connections 8x heavier). The modes alternate within each round so the
# machine's noise falls on all; medians of ROUNDS rounds, and ratios to native.
# Targets (issue #12): auto >= 0.95x native uniform, >= 0.9x skewed, p99 <= native;
# fairness (stddev/mean of requests per connection of one weight) within 2x native's.
#
# usage: bench/cpu_bench.sh [BUILD] [ROUNDS] [CONNS] [WORK_US] [SECONDS]
set -euo pipefail
build=${1:-build} rounds=${2:-3} conns=${3:-8} work=${4:-200} seconds=${5:-3}
lib=$(readlink -f "$build/shim/libgreen.so")
server=$build/bench/cpu_server load=$build/bench/cpu_load
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

one() {  # one() MODE SKEW: a line "rps p50 p99 fairness"
    local mode=$1 skew=$2 env=()
    case $mode in
        native) env=() ;;
        green1) env=(LD_PRELOAD="$lib" GREEN_HUBS=1) ;;
        auto) env=(LD_PRELOAD="$lib" GREEN_HUBS=auto) ;;
        nosteal) env=(LD_PRELOAD="$lib" GREEN_HUBS=auto GREEN_STEAL=0) ;;
    esac
    env "${env[@]}" "$server" 0 "$iters" >"$tmp/port" 2>"$tmp/err" &
    local pid=$!
    for _ in $(seq 100); do grep -q listening "$tmp/port" 2>/dev/null && break; sleep 0.05; done
    local port
    port=$(awk '/listening/ {print $3}' "$tmp/port")
    "$load" --port "$port" --conns "$conns" --work-us "$work" --seconds "$seconds" $skew |
        awk '{print $2, $4, $6, $8}'
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

# The work per request in loop iterations, measured once natively and used
# by every run (bench/cpu_server.c says why the work is counted, not timed).
iters=$("$server" --calibrate)
printf '# %s, %s CPUs (auto = %s hubs), %s conns, %s us per request (%s iterations/us), %s s x %s rounds\n' \
    "$(uname -m)" "$(nproc)" "$(nproc)" "$conns" "$work" "$iters" "$seconds" "$rounds"
printf '%-8s %-7s %9s %8s %8s %9s %8s\n' load mode req/s x-native p50_us p99_us fairness
for pattern in uniform skewed; do
    skew=""; [ $pattern = skewed ] && skew=--skew
    for ((r = 0; r < rounds; r++)); do
        for mode in native green1 nosteal auto; do
            one $mode "$skew" >>"$tmp/$pattern.$mode"
        done
    done
    native_rps=$(sort -n "$tmp/$pattern.native" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    for mode in native green1 nosteal auto; do
        sort -n -k1 "$tmp/$pattern.$mode" | awk -v p=$pattern -v m=$mode -v n="$native_rps" '
            {r[NR]=$1; a[NR]=$2; b[NR]=$3; f[NR]=$4}
            END {k=int((NR+1)/2); printf "%-8s %-7s %9d %8.2f %8d %8d %9.3f\n", p, m, r[k], r[k]/n, a[k], b[k], f[k]}'
    done
done

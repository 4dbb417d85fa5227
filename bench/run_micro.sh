#!/usr/bin/env bash
# run_micro.sh: run the bench/micro_* pthread microbenchmarks natively (on
# all CPUs, and pinned to one CPU, which is what one libgreen hub gets) and
# under LD_PRELOAD=libgreen.so, and print a Markdown table with the ratios.
#
# usage: bench/run_micro.sh [--build DIR] [--lib PATH/libgreen.so] [--hubs N]
#                           [--seconds S] [--threads N]
#   --build    meson build directory holding bench/micro_* (default: build/)
#   --lib      libgreen.so (default: BUILD/shim/libgreen.so; missing = native only)
#   --hubs     GREEN_HUBS for the preloaded runs (default 1)
#   --seconds  length of each timed loop (MICRO_SECONDS, default 0.5)
#   --threads  idle threads for micro_idle_threads (default 2000)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
build="$root/build"
lib=""
hubs=1
seconds=0.5
threads=2000
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build="$2"; shift 2 ;;
        --lib) lib="$2"; shift 2 ;;
        --hubs) hubs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "run_micro.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$lib" ] || lib="$build/shim/libgreen.so"
bindir="$build/bench"
progs=(micro_thread_create micro_mutex micro_condvar_pingpong micro_pipe_pingpong
       micro_nanosleep micro_idle_threads)
for p in "${progs[@]}"; do
    [ -x "$bindir/$p" ] || { echo "run_micro.sh: $bindir/$p not built (ninja -C $build)" >&2; exit 2; }
done
green=1
if [ ! -f "$lib" ]; then
    echo "run_micro.sh: $lib not found: native runs only" >&2
    green=0
fi
ncpu=$(nproc)

declare -A native pinned greenv units
order=()

# run MODE PROG: append "name value unit" lines of one run into the arrays
run() {
    local mode="$1" prog="$2" out rc=0
    local -a cmd=("$bindir/$prog")
    [ "$prog" = micro_idle_threads ] && cmd+=("$threads")
    case "$mode" in
        native) out=$(env -u LD_PRELOAD MICRO_SECONDS="$seconds" timeout 90 "${cmd[@]}") || rc=$? ;;
        pinned) out=$(env -u LD_PRELOAD MICRO_SECONDS="$seconds" timeout 90 taskset -c 0 "${cmd[@]}") || rc=$? ;;
        green) out=$(timeout 90 env LD_PRELOAD="$lib" GREEN_HUBS="$hubs" MICRO_SECONDS="$seconds" \
                     "${cmd[@]}") || rc=$? ;;
    esac
    if [ "$rc" -ne 0 ]; then
        echo "run_micro.sh: $prog ($mode) exited with status $rc" >&2
    fi
    while read -r name value unit; do
        case "$name" in FAIL:*|"") echo "run_micro.sh: $prog ($mode): $name $value $unit" >&2; continue ;; esac
        [ -n "${units[$name]:-}" ] || order+=("$name")
        units[$name]="$unit"
        case "$mode" in
            native) native[$name]="$value" ;;
            pinned) pinned[$name]="$value" ;;
            green) greenv[$name]="$value" ;;
        esac
    done <<< "$out"
}

for p in "${progs[@]}"; do
    echo "run_micro.sh: $p" >&2
    run native "$p"
    [ "$ncpu" -ge 2 ] && run pinned "$p"
    [ "$green" = 1 ] && run green "$p"
done

ratio() { # a b -> a/b with 2 decimals, or "-"
    if [ -z "$1" ] || [ -z "$2" ] || [ "$1" = - ] || [ "$2" = - ]; then echo "-"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
}

echo "| benchmark | unit | native | native 1 CPU | green (hubs=$hubs) | green/native | green/native 1 CPU |"
echo "|---|---|---:|---:|---:|---:|---:|"
for name in "${order[@]}"; do
    n="${native[$name]:--}"; q="${pinned[$name]:--}"; g="${greenv[$name]:--}"
    echo "| $name | ${units[$name]} | $n | $q | $g | $(ratio "$g" "$n") | $(ratio "$g" "$q") |"
done
echo
echo "Lower is better for every row. 'native 1 CPU' is taskset -c 0: the fair comparison for one hub."
[ "$green" = 1 ] || echo "libgreen.so not found at $lib: green columns are empty."

#!/usr/bin/env bash
# demo.sh: the README's main job, from a fresh Debian 12 checkout to the
# before/after tables in about three minutes.
#
#  1. installs the Debian packages the build needs, if any is missing
#     (meson ninja-build g++ pkg-config libuv1-dev catch2 python3; gnuplot-nox
#     for the plot, optional);
#  2. builds with meson into build/ (configured once, then incremental);
#  3. runs tools/green-bench on bench/legacy_echo_server, a 1998-style
#     thread-per-connection echo daemon, at 100, 1000 and 10000 connections,
#     all active and 1% active, natively and under LD_PRELOAD=libgreen.so;
#  4. runs the same load natively against bench/uv_echo_server, the
#     hand-written single-threaded libuv server, as the event-loop reference;
#  5. prints the tables; reports land in build/demo-DATE/.
#
# usage: tools/demo.sh [--quick] [-- extra green-bench arguments]
#   --quick   100 and 1000 connections, 2 s per point (about 40 s)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
conns=100,1000,10000
duration=5s
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) conns=100,1000; duration=2s; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\n== %s\n' "$*" >&2; }

# 1. dependencies
say "checking Debian packages"
bash tools/install-deps.sh

# 2. build
if [ ! -f build/build.ninja ]; then
    say "configuring build/"
    meson setup build
fi
say "building"
modes=native,green
if ! ninja -C build; then
    echo "demo.sh: full build failed; building the benchmark programs only (native mode only)" >&2
    ninja -C build bench/loadgen bench/legacy_echo_server bench/uv_echo_server tools/green-bench
    modes=native
fi
if [ "$modes" = native,green ] && [ ! -f build/shim/libgreen.so ]; then
    echo "demo.sh: build/shim/libgreen.so missing: native mode only" >&2
    modes=native
fi

# 3. and 4. benchmarks
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
out="build/demo-$(date +%Y%m%d-%H%M%S)"
say "legacy_echo_server natively and under libgreen: conns $conns, all and 1% active, $duration per point"
python3=/usr/bin/python3
[ -x "$python3" ] || python3=python3
"$python3" tools/green-bench \
    --server "build/bench/legacy_echo_server {port}" \
    --conns "$conns" --active 100%,1% --duration "$duration" --warmup 1s \
    --modes "$modes" --hubs 1 --lib build/shim/libgreen.so --loadgen build/bench/loadgen \
    --out "$out/legacy" ${extra[@]+"${extra[@]}"}
say "reference: uv_echo_server (one thread, libuv event loop), natively, all active"
"$python3" tools/green-bench \
    --server "build/bench/uv_echo_server {port}" \
    --conns "$conns" --active 100% --duration "$duration" --warmup 1s \
    --modes native --loadgen build/bench/loadgen --out "$out/uv" ${extra[@]+"${extra[@]}"}

# 5. summary
say "done"
cat <<EOF
Reports:
  $out/legacy/report.md  legacy_echo_server, native vs libgreen (report.csv, plot.png, logs/)
  $out/uv/report.md      uv_echo_server reference
Compare 'RSS KiB/conn', 'sys mem KiB/conn' and 'OS threads': natively every
connection costs the daemon one kernel thread (kernel stack, task struct, an
8 MiB stack reservation); under libgreen it costs one green thread, and the
OS threads are the hubs, the monitor and libuv's pool.
EOF

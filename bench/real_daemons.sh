#!/usr/bin/env bash
# shellcheck disable=SC2046,SC2154  # $(mode_env MODE) is split on purpose; lib.sh sets $lib, $tmp, $started…
# real_daemons.sh: five real daemons nobody here wrote, each started natively
# and then under LD_PRELOAD=libgreen.so, driven by its own benchmark client
# at a stated connection count: Redis (redis-benchmark SET/GET at 50 and
# 1,000 clients), memcached -t 4 (memcslap set/get at 50 and 200), Apache's
# worker MPM (ab -k at 200, a 10 KiB static file), CPython's
# `python3 -m http.server` (ab at 5: its listen backlog) and MariaDB
# (mariadb-slap's mixed load at 16 and 300; also natively with MariaDB's own
# thread_handling=pool-of-threads, what its users would pick instead of
# libgreen). One daemon per row and mode.
#
# Per row: throughput (req/s), p99 latency where the client gives it
# (redis-benchmark, ab), the daemon's peak RSS (VmHWM, summed over its
# processes: Apache's children), its peak OS threads (Threads:, summed the
# same way, sampled every 0.2 s while it runs), whether the answers were
# right (the client's errors, plus a check of each daemon's own: exact
# INCR/incr counts, every byte transferred, no connection left behind) and
# whether it stopped as natively. Green rows carry their ratio to native.
# Loads are short (the whole run takes ~5 minutes); a daemon that is not
# installed is skipped with a line saying so. The tests in tests/daemons/
# check far more behaviour; this is the benchmark, registered in no suite.
#
# usage: bench/real_daemons.sh [--build DIR] [--hubs auto,1] [--only NAMES] [--update-readme]
#   --build DIR      the build with shim/libgreen.so (default: build)
#   --hubs LIST      the GREEN_HUBS values to run under libgreen (default: auto,1)
#   --only LIST      only these of redis,memcached,apache,cpython,mariadb
#   --update-readme  rewrite README.md between <!-- compat-table:begin --> and
#                    <!-- compat-table:end --> with the Markdown table
# GREEN_ENV="GREEN_X=… …" adds settings to every green run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
daemons=$root/tests/daemons
# shellcheck source=../tests/daemons/lib.sh
. "$daemons/lib.sh"
py=/usr/bin/python3  # Debian's CPython, also the one under test

command="bash bench/real_daemons.sh${*:+ $*}"  # as the table's header says
build=$root/build hubs=auto,1 update='' only=''
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --hubs) hubs=$2; shift 2 ;;
        --update-readme) update=1; shift ;;
        --only) only=,$2,; shift 2 ;;
        *) sed -n 's/^# \{0,1\}//; /^usage:/,/^GREEN_ENV/p' "$0" >&2; exit 2 ;;
    esac
done
daemon_init "$build"
[ -f "$lib" ] || { echo "no $lib: meson setup build && ninja -C build" >&2; exit 1; }
# 1,000 clients need the fds; never lower the limit (MariaDB sizes its table cache by it).
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
modes=(native)
for h in ${hubs//,/ }; do modes+=("green@$h"); done
results=$tmp/results  # one line per row: daemon load conns mode rps p99 rss threads answers stop (tabs)
skipped=()

# tree_stats PID: the summed VmHWM (KiB) and Threads of PID and its
# descendants, "RSS THREADS".
tree_stats() {
    local pids=("$1") i=0 kids
    while [ $i -lt ${#pids[@]} ]; do
        kids=$(cat /proc/"${pids[$i]}"/task/*/children 2>/dev/null)
        # shellcheck disable=SC2206
        pids+=($kids)
        i=$((i + 1))
    done
    (cd /proc && cat "${pids[@]/%//status}" 2>/dev/null) |
        awk '/^VmHWM:/ { rss += $2 } /^Threads:/ { threads += $2 } END { print rss + 0, threads + 0 }'
}

# sampler PID FILE: while PID lives, keeps the peaks of tree_stats in FILE.
sampler() {
    local pid=$1 file=$2 rss=0 threads=0 r t
    while kill -0 "$pid" 2>/dev/null; do
        read -r r t < <(tree_stats "$pid")
        [ "$r" -gt $rss ] && rss=$r
        [ "$t" -gt $threads ] && threads=$t
        echo "$rss $threads" >"$file"
        sleep 0.2
    done
}

# A daemon NAME has three functions, called with the row's directory $dir
# and port $port set:
#   NAME_start MODE   starts it with $(mode_env MODE) (lib.sh's `started`)
#   NAME_load CONNS   drives it; records each load (loaded) and what was
#                     wrong (check, ran) in $dir/wrong
#   NAME_stop PID     stops it (stopped: how, in $dir/stop)
# NAME_up PID (optional) waits until it serves; the default is wait_port.
# NAME_version prints its name and version, as the table shows it.

# loaded LOAD RPS [P99]: one load's throughput and p99 (ms; n/a when the
# client does not say) in $dir/loads.
loaded() {
    printf '%s\t%s\t%s\n' "$1" "${2:-n/a}" "${3:-n/a}" >>"$dir/loads"
}

# check WHAT EXPECTED GOT: notes a wrong answer in $dir/wrong.
check() {
    [ "$2" = "$3" ] || echo "$1: $3, wanted $2" >>"$dir/wrong"
}

# ran WHAT STATUS: notes a client that failed (124: timed out) in $dir/wrong.
ran() {
    [ "$2" = 0 ] || echo "$1 exit $2$([ "$2" = 124 ] && echo ' (timed out)')" >>"$dir/wrong"
}

# per_second N SECONDS: N / SECONDS, rounded (n/a without SECONDS).
per_second() {
    awk -v n="$1" -v s="${2:-0}" 'BEGIN { if (s > 0) printf "%.0f\n", n / s; else print "n/a" }'
}

# stopped HOW EXPECTED PID [SECONDS]: waits for PID to exit (in this shell,
# PID's parent); writes HOW and the exit to $dir/stop, prefixed by "fails: "
# when it is not EXPECTED (an "exit N").
stopped() {
    local how=$1 expected=$2 got
    wait_exit "$3" "${4:-30}" >"$dir/exit"
    got=$(cat "$dir/exit")
    if [ "$got" = "$expected" ]; then
        echo "$how: $got" >"$dir/stop"
    else
        echo "fails: $how: $got (natively $expected)" >"$dir/stop"
    fi
}

# ab_load LOAD N URL SIZE AB_ARGS...: ab, its req/s and p99 as LOAD; checks
# that all N requests completed, none failed, and N x SIZE bytes came back.
ab_load() {
    local load=$1 n=$2 url=$3 size=$4 out=$dir/ab.$1
    shift 4
    timeout 120 ab -q -r -s 60 -n "$n" "$@" "$url" >"$out" 2>&1
    ran ab $?
    check "complete requests" "$n" "$(awk '/^Complete requests:/ { print $3 }' "$out")"
    check "failed requests" 0 "$(awk '/^Failed requests:/ { print $3 }' "$out")"
    check "non-2xx responses" 0 "$(awk '/^Non-2xx responses:/ { n = $3 } END { print n + 0 }' "$out")"
    check "bytes transferred" $((n * size)) "$(awk '/^HTML transferred:/ { print $3 }' "$out")"
    loaded "$load" "$(awk '/^Requests per second:/ { print $4 }' "$out")" "$(awk '$1 == "99%" { print $2 }' "$out")"
}

# --- Redis: the stock configuration (io-threads 1), redis-benchmark SET and
# GET, plus INCR to check the count.
redis_version() { redis-server --version | sed 's/.* v=\([^ ]*\).*/Redis \1 (stock: io-threads 1)/'; }
redis_start() {
    redis_conf "$dir" "$port" 1
    started $(mode_env "$1") redis-server "$dir/redis.conf"
}
redis_load() {
    local n=100000 cli=(timeout 30 redis-cli -p "$port") connected
    timeout 180 redis-benchmark -p "$port" -c "$1" -n $n -t set,get,incr --csv >"$dir/bench" 2>"$dir/bench.err"
    ran redis-benchmark $?
    tr -d '"' <"$dir/bench" | awk -F, -v OFS='\t' '$1 == "SET" || $1 == "GET" { print "redis-benchmark " $1, $2, $7 }' >>"$dir/loads"
    check "INCR count" $n "$("${cli[@]}" GET counter:__rand_int__)"
    for _ in $(seq 50); do  # every benchmark connection closed
        connected=$("${cli[@]}" INFO clients | tr -d '\r' | sed -n 's/^connected_clients://p')
        [ "$connected" = 1 ] && break
        sleep 0.1
    done
    check "clients left connected" 0 $((${connected:-0} - 1))
}
redis_stop() {
    timeout 30 redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
    stopped SHUTDOWN "exit 0" "$1"
}

# --- memcached -t 4: memcslap set, then get (it loads its keys first), and
# memc_client.py at the same count: an exact incr counter, every read-back.
memcached_version() { echo "$(memcached -V) -t 4"; }
memcached_start() {
    local user=()
    [ "$(id -u)" = 0 ] && user=(-u nobody)  # memcached will not run as root
    started $(mode_env "$1") memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -t 4 -c 4096 -m 64
}
memcached_load() {
    local conns=$1 per=$((100000 / $1)) test secs out
    for test in set get; do
        out=$dir/slap.$test
        timeout 120 memcslap --servers="127.0.0.1:$port" --concurrency="$conns" --execute-number=$per \
            --test=$test --flush >"$out" 2>&1
        ran "memcslap --test=$test" $?
        grep -q '^Fatal error' "$out" && echo "memcslap --test=$test: $(grep -c '^Fatal error' "$out") errors" >>"$dir/wrong"
        secs=$(awk -v t=$test '$1 == "Time" && $3 == t && /threads:/ { print $(NF-1) }' "$out")
        loaded "memcslap $test" "$(per_second $((conns * per)) "$secs")"
    done
    out=$(timeout 120 $py "$daemons/memc_client.py" "$port" "$conns" 5)
    ran memc_client.py $?
    check "incr counter" "counter: $((conns * 5)) wanted $((conns * 5))" "$(grep '^counter:' <<<"$out")"
    check "read-backs" "read-backs matched: $((conns * 5)) of $((conns * 5))" "$(grep '^read-backs' <<<"$out")"
}
memcached_stop() {
    kill -TERM "$1"
    stopped SIGTERM "exit 0" "$1"
}

# --- Apache httpd, worker MPM (tests/daemons' configuration: 2 children x
# 200 threads): ab -k, a 10 KiB static file, no child killed by a signal.
apache_version() { apache2 -v | sed -n 's/^Server version: Apache\/\([^ ]*\).*/Apache httpd \1, worker MPM 2 x 200 threads/p'; }
apache_start() {
    apache_conf "$dir" "$port" "$tmp/htdocs"
    started $(mode_env "$1") apache2 -f "$dir/httpd.conf" -DFOREGROUND
}
apache_load() {
    ab_load "ab -k, 10 KiB file" 100000 "http://127.0.0.1:$port/10k.bin" 10240 -k -c "$1"
}
apache_stop() {
    timeout 60 apache2 -f "$dir/httpd.conf" -k graceful-stop
    stopped graceful-stop "exit 0" "$1" 60
    check "children killed by a signal" 0 "$(grep -c 'exit signal' "$dir/error.log")"
}

# --- CPython's http.server (ThreadingHTTPServer, a thread per connection;
# HTTP/1.0, so no keep-alive): ab at its listen backlog, 5.
cpython_version() { echo "C$($py -V) http.server"; }
cpython_start() {
    started $(mode_env "$1") $py -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/htdocs" \
        >"$dir/log" 2>&1
}
cpython_load() {
    ab_load "ab, 10 KiB file" 5000 "http://127.0.0.1:$port/10k.bin" 10240 -c "$1"
}
cpython_stop() {
    kill -TERM "$1"
    stopped SIGTERM "exit 143" "$1"  # no handler: killed by the signal, natively too
}

# --- MariaDB, stock configuration but for max_connections (151 by default):
# mariadb-slap's auto-generated mixed load (reads and InnoDB writes), over
# TCP; no connection left behind.
mariadb_version() { mariadbd --version | sed 's/.* Ver \([^-]*\)-MariaDB.*/MariaDB \1 (stock; max_connections 1000)/'; }
mariadb_start() {
    cp -a "$tmp/mariadb-seed" "$dir/data"
    local pool=()
    [ "$1" = pool ] && pool=(--thread-handling=pool-of-threads)
    started $(mode_env "$1") mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
        --port="$port" --bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$dir/pid" \
        --max-connections=1000 "${pool[@]}" --log-error="$dir/err.log" 2>"$dir/stderr"  # its start-up warnings
}
mariadb_up() { mariadb_ready "$1" "$dir/err.log" 120; }
mariadb_load() {
    local n=10000 secs threads
    local sql=(timeout 30 mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -N)
    timeout 180 mariadb-slap --no-defaults -h127.0.0.1 -P"$port" -uroot --concurrency="$1" --iterations=1 \
        --number-of-queries=$n --auto-generate-sql --auto-generate-sql-load-type=mixed >"$dir/slap" 2>&1
    ran mariadb-slap $?
    grep -qi 'error' "$dir/slap" && grep -i -m1 'error' "$dir/slap" >>"$dir/wrong"
    secs=$(awk '/Average number of seconds/ { print $(NF-1) }' "$dir/slap")
    loaded "mariadb-slap mixed, $n queries" "$(per_second $n "$secs")"
    for _ in $(seq 50); do  # every slap connection closed (ours is the one left)
        threads=$("${sql[@]}" -e "SHOW STATUS LIKE 'Threads_connected'" | awk '{ print $2 }')
        [ "$threads" = 1 ] && break
        sleep 0.1
    done
    check "connections left" 0 $((${threads:-0} - 1))
}
mariadb_stop() {
    kill -TERM "$1"
    stopped SIGTERM "exit 0" "$1" 60
}

# bench_one NAME CONNS MODE: one daemon, one connection count, one mode:
# appends its rows to $results.
bench_one() {
    local name=$1 conns=$2 mode=$3 port pid spid stop answers rss threads load rps p99
    dir=$tmp/$name-$conns-$mode
    port=$(free_port)
    mkdir -p "$dir"
    : >"$dir/loads"
    : >"$dir/wrong"
    "${name}_start" "$mode"
    pid=$started
    sampler "$pid" "$dir/peak" &
    spid=$!
    if declare -F "${name}_up" >/dev/null; then "${name}_up" "$pid"; else wait_port "$port" "$pid" 60; fi
    if [ $? != 0 ]; then
        wait_exit "$pid" 1 >"$dir/exit"
        echo "did not start ($(cat "$dir/exit"))" >>"$dir/wrong"
        echo n/a >"$dir/stop"
    else
        "${name}_load" "$conns"
        read -r rss threads < <(tree_stats "$pid")
        echo "$rss $threads" >>"$dir/peak.last"
        "${name}_stop" "$pid"
    fi
    wait "$spid"
    stop=$(cat "$dir/stop")
    read -r rss threads < <(cat "$dir/peak" "$dir/peak.last" 2>/dev/null |
        awk '$1 > r { r = $1 } $2 > t { t = $2 } END { print r + 0, t + 0 }')
    answers=ok
    [ -s "$dir/wrong" ] && answers="fails: $(paste -sd ';' "$dir/wrong" | sed 's/;/; /g')"
    [ -s "$dir/loads" ] || loaded -
    while IFS=$'\t' read -r load rps p99; do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$load" "$conns" "$mode" "$rps" "$p99" \
            "$rss" "$threads" "$answers" "$stop" >>"$results"
    done <"$dir/loads"
    echo "  $conns connections, $mode: $(cut -f2 "$dir/loads" | paste -sd/) req/s, answers $answers, $stop" >&2
}

# The daemons, each with what it needs installed and its connection counts.
plan=(
    "redis|redis-server redis-cli redis-benchmark|50 1000"
    "memcached|memcached memcslap|50 200"
    "apache|apache2 ab|200"
    "cpython|$py ab|5"
    "mariadb|mariadbd mariadb-install-db mariadb mariadb-slap|16 300"
)

mkdir -p "$tmp/htdocs"
head -c 10240 /dev/urandom >"$tmp/htdocs/10k.bin"
: >"$results"
declare -A version counts
start=$(date +%s)
for entry in "${plan[@]}"; do
    IFS='|' read -r name cmds conns <<<"$entry"
    [ -n "$only" ] && [ "${only#*,"$name",}" = "$only" ] && continue
    # shellcheck disable=SC2086
    if ! have $cmds; then
        skipped+=("$name: $missing is not installed")
        echo "skipping $name: $missing is not installed" >&2
        continue
    fi
    if [ $name = apache ] && [ ! -f $apache_modules/mod_mpm_worker.so ]; then
        skipped+=("apache: no $apache_modules/mod_mpm_worker.so")
        continue
    fi
    if [ $name = mariadb ] && ! mariadb_seed "$tmp/mariadb-seed"; then
        skipped+=("mariadb: mariadb-install-db failed")
        continue
    fi
    version[$name]=$("${name}_version")
    counts[$name]=$conns
    echo "${version[$name]}:" >&2
    for c in $conns; do
        for mode in "${modes[@]}"; do
            bench_one "$name" "$c" "$mode"
        done
        [ $name = mariadb ] && bench_one "$name" "$c" pool  # natively, MariaDB's thread pool
    done
done
elapsed=$(($(date +%s) - start))

# table FORMAT: the results as a table, FORMAT md (Markdown) or text (tab-
# separated, for column). A green row's ratios are to the native row of the
# same daemon, load and connections.
table() {
    local name
    for name in "${!version[@]}"; do printf 'version\t%s\t%s\n' "$name" "${version[$name]}"; done |
        cat - "$results" | awk -F'\t' -v fmt="$1" '
        function commas(x,   s) {
            if (x !~ /^[0-9.]+$/) return x
            s = sprintf("%.0f", x)
            while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
            return s
        }
        function ratio(g, n) { return (g ~ /^[0-9.]+$/ && n ~ /^[0-9.]+$/ && n > 0) ? sprintf("%.2f", g / n) : "" }
        function mib(k) { return sprintf("%.1f", k / 1024) }
        function run(m) {
            if (m == "native") return "native"
            if (m == "pool") return "native, thread_handling=pool-of-threads"
            return "libgreen, GREEN_HUBS=" substr(m, 7)
        }
        function row(a, b, c, d, e, f, g, h, i, j, k, l, m) {
            if (fmt == "md") printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a, b, c, d, e, f, g, h, i, j, k, l, m
            else printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a, b, c, d, e, f, g, h, i, j, k, l, m
        }
        $1 == "version" { label[$2] = $3; next }
        { n++; for (i = 1; i <= 10; i++) r[n, i] = $i
          if ($4 == "native") { key = $1 SUBSEP $2 SUBSEP $3; nrps[key] = $5; np99[key] = $6; nrss[key] = $7 } }
        END {
            row("daemon", "client, load", "conns", "run", "req/s", "× native", "p99 ms", "× native",
                "peak RSS MiB", "× native", "OS threads", "answers", "stop")
            if (fmt == "md") print "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
            for (i = 1; i <= n; i++) {
                key = r[i, 1] SUBSEP r[i, 2] SUBSEP r[i, 3]; green = r[i, 4] != "native"
                # Markdown: each daemon named once, above its rows.
                name = (fmt == "md" && r[i, 1] == r[i - 1, 1]) ? "" : label[r[i, 1]]
                row(name, r[i, 2], commas(r[i, 3]), run(r[i, 4]), commas(r[i, 5]),
                    green ? ratio(r[i, 5], nrps[key]) : "", r[i, 6], green ? ratio(r[i, 6], np99[key]) : "",
                    mib(r[i, 7]), green ? ratio(r[i, 7], nrss[key]) : "", r[i, 8], r[i, 9], r[i, 10])
            }
        }'
}

# The header of the Markdown table: when, what, where, at which counts.
header() {
    local commit cpu dirty='' name list=()
    commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=" (with uncommitted changes)"
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    for name in redis memcached apache cpython mariadb; do
        [ -n "${counts[$name]:-}" ] && list+=("${version[$name]%% *} ${counts[$name]// / and }")
    done
    echo "\`$command\`, $(date -u +%Y-%m-%d), commit $commit$dirty;"
    echo "machine: ${cpu:-unknown CPU}, $(nproc) cores, Linux $(uname -r); the daemon and its client share"
    echo "the cores (not pinned). Connections: $(printf '%s; ' "${list[@]}" | sed 's/; $//')."
    echo "Runs under libgreen: GREEN_HUBS=${hubs//,/, }${green_env[*]:+, with ${green_env[*]}}."
    echo "One short run per row (the machine is noisy: compare within a row pair); took ${elapsed} s."
    [ ${#skipped[@]} -gt 0 ] && echo "Skipped: $(printf '%s; ' "${skipped[@]}" | sed 's/; $//')."
}

echo
header
echo
table text | column -t -s $'\t'

if [ -n "$update" ]; then
    readme=$root/README.md
    if ! grep -q '^<!-- compat-table:begin -->$' "$readme" || ! grep -q '^<!-- compat-table:end -->$' "$readme"; then
        echo "README.md has no <!-- compat-table:begin --> ... <!-- compat-table:end --> span" >&2
        exit 1
    fi
    { header; echo; table md; } >"$tmp/table.md"
    awk -v table="$tmp/table.md" '
        /^<!-- compat-table:end -->$/ { skip = 0 }
        !skip { print }
        /^<!-- compat-table:begin -->$/ { while ((getline line < table) > 0) print line; skip = 1 }
    ' "$readme" >"$tmp/README.md" && cat "$tmp/README.md" >"$readme"
    echo "README.md: the compatibility table rewritten" >&2
fi

#!/usr/bin/env bash
# mariadb.sh: stock MariaDB (Debian's mariadb-server) natively and under
# libgreen: it must start ("ready for connections"), answer SQL the same
# way, and stop on SIGTERM with status 0. Before hand-off (issue #12) it hung
# at start under libgreen: InnoDB's I/O thread waits in io_uring_enter, a raw
# system call (with libaio, in syscall(__NR_io_getevents)), and stopped its
# whole hub; SIGTERM was ignored too. Run once per InnoDB I/O backend:
# io_uring, libaio, and simulated AIO (innodb_use_native_aio=0). Then, in
# the stock configuration, under load (issue #14): 16 clients each commit
# 50 increments of one counter, which must end at exactly 800; a generated
# table's CHECKSUM TABLE; a clean mariadb-admin shutdown; after a restart
# the data is all there and SIGTERM stops it; and mariadb-slap with 1,000
# concurrent connections completes. The same output natively and under
# libgreen, on the hubs of GREEN_HUBS (auto by default; the suite runs 1 too).
#
# usage: tests/daemons/mariadb.sh BUILD   (prints TAP; needs mariadb-server)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
build=$(readlink -f "${1:-build}")
lib=$build/shim/libgreen.so
command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null; then
    echo "1..0 # SKIP mariadb-server is not installed"
    exit 0
fi
GREEN_ENV=(${GREEN_ENV:-})  # e.g. GREEN_ENV=GREEN_HANDOFF_MS=0 shows the hang hand-off fixes
tmp=$(mktemp -d)
trap 'pkill -KILL -f "datadir=$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mariadb_seed "$tmp/seed" || { echo "1..0 # SKIP mariadb-install-db failed"; exit 0; }

sql='CREATE DATABASE t; CREATE TABLE t.k (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
INSERT INTO t.k VALUES (1,"one"),(2,"two"),(3,"three"); UPDATE t.k SET v="deux" WHERE id=2;
SELECT id, v FROM t.k ORDER BY id; SELECT COUNT(*) FROM t.k;'

# run MODE AIO: start, query, stop; prints the query output, then "exit N".
# AIO: io_uring, aio (libaio) or off (innodb_use_native_aio=0).
run() {
    local mode=$1 aio=$2 dir=$tmp/$1-$2 pre=() io=()
    case $aio in
        off) io=(--innodb-use-native-aio=0) ;;
        *) io=(--innodb-use-native-aio=1 --innodb-linux-aio="$aio") ;;
    esac
    cp -a "$tmp/seed" "$dir"
    [ "$mode" = green ] && pre=(env LD_PRELOAD="$lib" "${GREEN_ENV[@]}")
    "${pre[@]}" mariadbd --no-defaults --datadir="$dir" --socket="$dir/sock" --skip-networking \
        --user="$(id -un)" --pid-file="$dir/pid" "${io[@]}" \
        --innodb-buffer-pool-size=32M --log-error="$dir/err.log" &
    local pid=$! up=no
    mariadb_ready $pid "$dir/err.log" 60 && up=yes
    echo "started: $up"
    [ $up = yes ] && timeout 30 mariadb --no-defaults --socket="$dir/sock" -uroot -N -e "$sql" 2>&1
    kill -TERM $pid 2>/dev/null
    local rc=timeout
    for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    if kill -0 $pid 2>/dev/null; then kill -KILL $pid; wait $pid 2>/dev/null; else wait $pid; rc=$?; fi
    echo "exit $rc"
}

# load MODE: the stock server under 16 clients and 1,000 connections, its
# shutdown and restart; prints what must not depend on the mode.
load() {
    local mode=$1 dir=$tmp/load-$1 pre=()
    cp -a "$tmp/seed" "$dir"
    [ "$mode" = green ] && pre=(env LD_PRELOAD="$lib" "${GREEN_ENV[@]}")
    start() {
        : >"$dir/err.log"
        "${pre[@]}" mariadbd --no-defaults --datadir="$dir" --socket="$dir/sock" --skip-networking \
            --user="$(id -un)" --pid-file="$dir/pid" --max-connections=1100 \
            --innodb-buffer-pool-size=32M --log-error="$dir/err.log" &
        pid=$!
        mariadb_ready $pid "$dir/err.log" 60 && echo "started" || echo "did not start"
    }
    q() { timeout 60 mariadb --no-defaults --socket="$dir/sock" -uroot -N -e "$1" 2>&1; }
    stop_with() {  # stop_with CMD...: runs it, waits for mariadbd to exit
        "$@" >/dev/null 2>&1
        local rc=timeout
        for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
        if kill -0 $pid 2>/dev/null; then kill -KILL $pid; wait $pid 2>/dev/null; else wait $pid; rc=$?; fi
        echo "exit $rc"
    }
    start
    q 'CREATE DATABASE t; CREATE TABLE t.c (id INT PRIMARY KEY, n INT) ENGINE=InnoDB;
       INSERT INTO t.c VALUES (1, 0);
       CREATE TABLE t.d (id INT PRIMARY KEY, v INT, s VARCHAR(40)) ENGINE=InnoDB; USE t;
       INSERT INTO t.d SELECT seq, seq * 7 % 13, MD5(seq) FROM seq_1_to_5000;
       UPDATE t.d SET v = v + 1 WHERE id % 3 = 0; DELETE FROM t.d WHERE id % 11 = 0;'
    local one
    one=$(printf 'START TRANSACTION; UPDATE t.c SET n = n + 1 WHERE id = 1; COMMIT;\n%.0s' $(seq 50))
    local clients=()
    for _ in $(seq 16); do
        timeout 120 mariadb --no-defaults --socket="$dir/sock" -uroot -e "$one" &
        clients+=($!)
    done
    local failed=0
    for c in "${clients[@]}"; do wait "$c" || failed=$((failed + 1)); done
    echo "clients failed: $failed"
    q 'SELECT n FROM t.c; CHECKSUM TABLE t.d; SELECT COUNT(*), SUM(v) FROM t.d;'
    timeout 300 mariadb-slap --no-defaults --socket="$dir/sock" -uroot --concurrency=1000 \
        --number-of-queries=3000 --auto-generate-sql --auto-generate-sql-load-type=mixed \
        --create-schema=slap >"$dir/slap.log" 2>&1
    echo "mariadb-slap, 1000 connections: exit $?"
    stop_with timeout 60 mariadb-admin --no-defaults --socket="$dir/sock" -uroot shutdown
    start
    q 'SELECT n FROM t.c; CHECKSUM TABLE t.d;'
    stop_with kill -TERM $pid
}

echo "1..4"
n=0
for aio in io_uring aio off; do
    n=$((n + 1))
    native=$(run native $aio)
    green=$(run green $aio)
    if [ "$native" = "$green" ] && grep -q "started: yes" <<<"$green"; then
        echo "ok $n - mariadbd, InnoDB I/O $aio: same start, answers and exit"
    else
        echo "not ok $n - mariadbd, InnoDB I/O $aio, differs under libgreen"
        diff <(echo "$native") <(echo "$green") | sed 's/^/# /'
        tail -5 "$tmp/green-$aio/err.log" 2>/dev/null | sed 's/^/# /'
    fi
done

native=$(load native)
green=$(load green)
[ -n "${DAEMON_SHOW:-}" ] && echo "$green" | sed "s/^/# green: /"
if [ "$native" = "$green" ] && grep -q "^800$" <<<"$green" && grep -q "^4546	" <<<"$green" &&
    ! grep -q "did not start\|ERROR" <<<"$green"; then
    echo "ok 4 - stock mariadbd under load: 16 x 50 committed increments = 800, same CHECKSUM TABLE, 1,000 connections, clean shutdown, data kept across a restart, SIGTERM"
else
    echo "not ok 4 - stock mariadbd under load differs under libgreen"
    diff <(echo "$native") <(echo "$green") | sed 's/^/# /'
    tail -5 "$tmp/load-green/slap.log" "$tmp/load-green/err.log" 2>/dev/null | sed 's/^/# /'
fi

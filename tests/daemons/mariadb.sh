#!/usr/bin/env bash
# mariadb.sh: stock MariaDB (Debian's mariadb-server) natively and under
# libgreen: it must start ("ready for connections"), answer SQL the same
# way, and stop on SIGTERM with status 0. Before hand-off (issue #12) it hung
# at start under libgreen: InnoDB's I/O thread waits in io_uring_enter, a raw
# system call (with libaio, in syscall(__NR_io_getevents)), and stopped its
# whole hub; SIGTERM was ignored too. Run once per InnoDB I/O backend:
# io_uring, libaio, and simulated AIO (innodb_use_native_aio=0).
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

echo "1..3"
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

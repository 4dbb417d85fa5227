#!/usr/bin/env bash
# memcached.sh: Debian's memcached -t 4 natively and under libgreen (1 and 4
# hubs): libmemcached's memccapable protocol checks (text and binary), 200
# concurrent connections each setting, reading back and incrementing
# (memc_client.py: exact counter, every read-back intact), memcslap at 50
# connections, no connection left behind, and SIGTERM exiting 0.
#
# usage: tests/daemons/memcached.sh BUILD   (prints TAP; needs memcached, libmemcached-tools)
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
need memcached memccapable memcslap python3
daemon_init "${1:-build}"
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
user=()
[ "$(id -u)" = 0 ] && user=(-u nobody)  # memcached will not run as root

# stat PORT NAME: one line of memcached's "stats".
stat() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"stats\r\nquit\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
for line in data.decode().splitlines():
    if line.startswith("STAT %s " % sys.argv[2]):
        print(line)
EOF
}

# run MODE: start, drive, stop; prints the transcript.
run() {
    local mode=$1 dir=$tmp/$1 port
    port=$(free_port)
    mkdir -p "$dir"
    started $(mode_env "$mode") memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -t 4 -c 4096 -m 64 \
        -v >"$dir/memcached.log" 2>&1
    local pid=$started
    wait_port "$port" "$pid" || { echo "did not start"; wait_exit "$pid" 1; return; }
    timeout 120 memccapable -h 127.0.0.1 -p "$port" >"$dir/capable" 2>&1
    echo "memccapable: exit $?, $(grep -c '\[pass\]' "$dir/capable") pass, $(grep -c '\[fail\]' "$dir/capable") fail"
    grep '\[fail\]' "$dir/capable"
    timeout 120 python3 "$here/memc_client.py" "$port" 200 25
    timeout 120 memcslap --servers="127.0.0.1:$port" --concurrency=50 --execute-number=200 --test=set \
        --flush >"$dir/slap" 2>&1
    echo "memcslap: exit $?"
    stat "$port" threads
    # The clients' connections are all closed (the one left is stat's own).
    local conns
    for _ in $(seq 50); do
        conns=$(stat "$port" curr_connections)
        [ "$conns" = "STAT curr_connections 1" ] && break
        sleep 0.1
    done
    echo "$conns"
    kill -TERM "$pid"
    wait_exit "$pid" 30
}

echo "1..${#green_modes[@]}"
compare_modes run "memcached -t 4, %s: same protocol answers, counts and exit" "$tmp/%s/memcached.log"

#!/usr/bin/env bash
# redis.sh: Debian's redis-server natively and under libgreen: plain
# commands, BLPOP timing out and woken (one waiter and twenty),
# redis-benchmark at 50 and at 1,000 clients with an exact INCR count after
# each, no connection left behind, and SHUTDOWN exiting 0. Under libgreen:
# the stock configuration (main thread and bio threads) on 1 and 4 hubs, and
# io-threads 2 on 4 hubs. Not io-threads on 1 hub: Redis's main and I/O
# threads spin-wait for each other (its docs: only with spare cores), which
# on one core natively runs at 1/9 the speed, and on one hub slower still
# (each spin lasts until a hand-off, README "Limitations").
# Issue #14: at -c 1000 it once died in jemalloc.
#
# usage: tests/daemons/redis.sh BUILD   (prints TAP; needs redis-server, redis-tools)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need redis-server redis-cli redis-benchmark
daemon_init "${1:-build}"
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# run MODE IO_THREADS: start, drive, stop; prints the transcript.
run() {
    local mode=$1 dir=$tmp/$1-io$2 port
    port=$(free_port)
    mkdir -p "$dir"
    redis_conf "$dir" "$port" "$2"
    started $(mode_env "$mode") redis-server "$dir/redis.conf"
    local pid=$started
    wait_port "$port" "$pid" || { echo "did not start"; wait_exit "$pid" 1; return; }
    local cli=(timeout 60 redis-cli -p "$port")
    "${cli[@]}" SET greeting hello
    "${cli[@]}" GET greeting
    "${cli[@]}" INCRBY n 41
    "${cli[@]}" INCR n
    "${cli[@]}" RPUSH l a b c
    "${cli[@]}" LRANGE l 0 -1
    "${cli[@]}" HSET h f1 v1 f2 v2
    "${cli[@]}" HGETALL h

    # BLPOP on an empty list times out after its 1 s (nil) ...
    local t0 t1
    t0=$(date +%s%N)
    echo "blpop timeout: [$("${cli[@]}" BLPOP empty 1)]"
    t1=$(date +%s%N)
    echo "blpop waited 1 s: $([ $(((t1 - t0) / 1000000)) -ge 900 ] && echo yes || echo "no, $(((t1 - t0) / 1000000)) ms")"
    # ... and wakes when another client pushes: one waiter, then twenty.
    "${cli[@]}" BLPOP q 20 >"$dir/blpop1" &
    local one=$!
    for _ in $(seq 50); do
        [ "$("${cli[@]}" INFO clients | tr -d '\r' | grep blocked_clients)" = "blocked_clients:1" ] && break
        sleep 0.1
    done
    "${cli[@]}" LPUSH q hello >/dev/null
    wait $one
    echo "blpop woken: $(tr '\n' ' ' <"$dir/blpop1")"
    local waiters=()
    for i in $(seq 20); do
        "${cli[@]}" BLPOP q20 20 >"$dir/blpop20.$i" &
        waiters+=($!)
    done
    for _ in $(seq 100); do
        [ "$("${cli[@]}" INFO clients | tr -d '\r' | grep blocked_clients)" = "blocked_clients:20" ] && break
        sleep 0.1
    done
    "${cli[@]}" RPUSH q20 $(seq 20) >/dev/null
    wait "${waiters[@]}"
    echo "blpop twenty woken: $(cat "$dir"/blpop20.* | grep -cx q20), values $(cat "$dir"/blpop20.* | grep -vx q20 | sort -n | tr '\n' ' ')"

    # redis-benchmark's INCR always hits the one key counter:__rand_int__.
    local clients
    for clients in 50 1000; do
        timeout 120 redis-benchmark -p "$port" -c $clients -n 20000 -q -t set,get,lpush,lpop,incr >"$dir/bench.$clients" 2>&1
        echo "redis-benchmark -c $clients: exit $?, $(grep -c 'requests per second' "$dir/bench.$clients") tests"
        echo "counter after -c $clients: $("${cli[@]}" GET counter:__rand_int__)"
    done
    # Every benchmark connection is gone (the server sees the closes soon).
    local connected
    for _ in $(seq 50); do
        connected=$("${cli[@]}" INFO clients | tr -d '\r' | grep '^connected_clients:')
        [ "$connected" = "connected_clients:1" ] && break
        sleep 0.1
    done
    echo "$connected"
    "${cli[@]}" DBSIZE
    "${cli[@]}" SHUTDOWN NOSAVE 2>&1
    wait_exit "$pid" 30
}

native=$(run native 2)
runs=("green@1 1" "green@4 1" "green@4 2")
echo "1..${#runs[@]}"
for r in "${runs[@]}"; do
    set -- $r
    same "$native" "$(run "$1" "$2")" "redis-server, io-threads $2, $1: same answers, wake-ups, counts and exit" \
        "$tmp/$1-io$2/redis.log"
done

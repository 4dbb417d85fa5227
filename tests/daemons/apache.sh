#!/usr/bin/env bash
# apache.sh: Debian's Apache httpd, worker MPM (2 children x 200 threads),
# natively and under libgreen (1 and 4 hubs): static files byte-identical
# with curl (sendfile and mmap on, a 4 MiB file, a range, HEAD, 404, kept-
# alive connections reused), ab with KeepAlive at 200 connections and
# without at 400, no child crashed, and `apache2 -k graceful-stop` ending it.
#
# usage: tests/daemons/apache.sh BUILD   (prints TAP; needs apache2, apache2-utils)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
need apache2 ab curl
daemon_init "${1:-build}"
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ -f $apache_modules/mod_mpm_worker.so ] || { echo "1..0 # SKIP no $apache_modules/mod_mpm_worker.so"; exit 0; }

htdocs=$tmp/htdocs
mkdir -p "$htdocs"
head -c 4194304 /dev/urandom >"$htdocs/big.bin"
head -c 10240 /dev/urandom >"$htdocs/10k.bin"
printf 'hello from apache\n' >"$htdocs/index.html"
: >"$htdocs/empty.txt"

# run MODE: start, drive, stop; prints the transcript.
run() {
    local mode=$1 dir=$tmp/$1 port
    port=$(free_port)
    mkdir -p "$dir"
    apache_conf "$dir" "$port" "$htdocs"
    started $(mode_env "$mode") apache2 -f "$dir/httpd.conf" -DFOREGROUND
    local pid=$started
    wait_port "$port" "$pid" || { echo "did not start"; wait_exit "$pid" 1; return; }
    local url=http://127.0.0.1:$port f
    for f in index.html empty.txt 10k.bin big.bin; do
        curl -s -o "$dir/got" -w "$f: %{http_code} %{size_download} %{content_type}" "$url/$f"
        cmp -s "$dir/got" "$htdocs/$f" && echo " identical" || echo " differs"
    done
    curl -s -r 1000-1999 -o "$dir/got" -w "range: %{http_code} %{size_download}" "$url/big.bin"
    cmp -s "$dir/got" <(tail -c +1001 "$htdocs/big.bin" | head -c 1000) && echo " identical" || echo " differs"
    curl -s -I "$url/big.bin" | tr -d '\r' | grep -E '^(HTTP|Content-Length|Accept-Ranges)'
    curl -s -o /dev/null -w "missing: %{http_code}\n" "$url/missing"
    # One connection, reused for the next three requests.
    curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w "%{http_code} connects %{num_connects}\n" \
        "$url/index.html" "$url/10k.bin" "$url/big.bin" "$url/index.html"
    local a
    for a in "-k -c 200 -n 4000 $url/10k.bin" "-c 400 -n 4000 $url/index.html"; do
        # shellcheck disable=SC2086
        timeout 120 ab -q -r -s 60 $a >"$dir/ab" 2>&1
        echo "ab ${a% *}: exit $?"
        grep -E '^(Complete requests|Failed requests|Non-2xx|HTML transferred)' "$dir/ab"
    done
    timeout 60 apache2 -f "$dir/httpd.conf" -k graceful-stop
    echo "graceful-stop: $?"
    wait_exit "$pid" 60
    echo "children crashed: $(grep -c 'exit signal' "$dir/error.log")"
}

echo "1..${#green_modes[@]}"
compare_modes run "apache2 worker MPM, %s: same bodies, statuses, counts and stop" "$tmp/%s/error.log"

# lib.sh: what the daemon tests (tests/daemons/*.sh) and the benchmark
# bench/real_daemons.sh share. Sourced, never run. Each test starts a real daemon on 127.0.0.1 with a private config in a
# temp dir, drives it with its real client, stops it, and compares the whole
# transcript (answers, exit status) natively and under libgreen. Output: TAP.
#
# A test calls daemon_init BUILD first; it sets
#   $lib  the libgreen.so under test
#   $tmp  a private temp dir, removed (and its daemons killed) at exit
# (DAEMON_SHOW=1 prints each native transcript as TAP comments) and then, per mode (native, or green@HUBS), runs the daemon with
# $(mode_env MODE) in front of its command.

daemon_init() {
    local build
    build=$(readlink -f "${1:-build}")
    lib=$build/shim/libgreen.so
    tmp=$(mktemp -d)
    chmod 755 "$tmp"  # daemons that drop to another user read their files here
    daemon_pids=()
    trap daemon_cleanup EXIT
    tap_n=0
    # GREEN_ENV=GREEN_HANDOFF_MS=0 etc.: extra settings for every green run.
    green_env=(${GREEN_ENV:-})
}

daemon_cleanup() {
    local pid
    for pid in "${daemon_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    # Daemons started inside $(...) are not in daemon_pids: they name $tmp.
    pkill -KILL -f -- "$tmp" 2>/dev/null
    rm -rf "$tmp"
}

# have CMD...: whether every CMD is installed (looking in /usr/sbin and /sbin
# too); the first one missing is left in $missing.
have() {
    local cmd
    for cmd in "$@"; do
        command -v "$cmd" >/dev/null || PATH=$PATH:/usr/sbin:/sbin
        command -v "$cmd" >/dev/null || { missing=$cmd; return 1; }
    done
}

# need CMD...: prints the TAP plan "1..0 # SKIP" and exits when a command is
# missing (tools/install-deps.sh installs them on Debian).
need() {
    have "$@" || { echo "1..0 # SKIP $missing is not installed"; exit 0; }
}

# mode_env MODE: the command prefix for MODE: "native" or "green@HUBS".
mode_env() {
    case $1 in
        native | pool) echo env ;;
        green@*) echo env LD_PRELOAD="$lib" GREEN_HUBS="${1#green@}" "${green_env[@]}" ;;
    esac
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for PID SECONDS CMD...: until CMD succeeds (tried every 0.1 s); fails
# when PID exits first or the SECONDS run out.
wait_for() {
    local pid=$1 tries=$(($2 * 10))
    shift 2
    while [ $tries -gt 0 ]; do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
        tries=$((tries - 1))
    done
    return 1
}

# port_open PORT: whether 127.0.0.1:PORT accepts a connection now.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT PID [SECONDS]: until 127.0.0.1:PORT accepts a connection;
# fails when PID exits first or the time runs out (default 30 s).
wait_port() {
    wait_for "$2" "${3:-30}" port_open "$1"
}

# started CMD...: runs CMD in the background and records its pid in $started.
started() {
    "$@" &
    started=$!
    daemon_pids+=("$started")
}

# wait_exit PID [SECONDS]: prints "exit STATUS" once PID has exited, or
# "exit timeout" (and kills it) when it has not within SECONDS (default 30).
wait_exit() {
    local pid=$1 tries=$((${2:-30} * 10)) rc
    while [ $tries -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        tries=$((tries - 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo "exit timeout"
        return
    fi
    wait "$pid"
    rc=$?
    echo "exit $rc"
}

# same NATIVE GREEN DESCRIPTION [LOG]: one TAP line: ok when the transcripts
# are equal, else not ok with the diff (and LOG's tail) as TAP comments.
same() {
    local native=$1 green=$2 what=$3 log=${4:-}
    tap_n=$((tap_n + 1))
    [ -n "${DAEMON_SHOW:-}" ] && sed 's/^/# native: /' <<<"$native"  # to read what is compared
    if [ "$native" = "$green" ]; then
        echo "ok $tap_n - $what"
        return 0
    fi
    echo "not ok $tap_n - $what: differs under libgreen"
    diff <(echo "$native") <(echo "$green") | sed 's/^/# /'
    [ -n "$log" ] && [ -f "$log" ] && tail -15 "$log" | sed 's/^/# log: /'
    return 1
}

# The green modes every daemon test runs (the test pins no hub count of the
# suite's own: 1 hub, then several on 2 cores).
green_modes=(green@1 green@4)

# compare_modes RUN WHAT LOG: runs `RUN native`, then `RUN MODE` for each of
# $green_modes, one TAP line each (same). WHAT and LOG name the mode as %s.
compare_modes() {
    local run=$1 what=$2 log=$3 native mode
    native=$($run native)
    for mode in "${green_modes[@]}"; do
        # shellcheck disable=SC2059
        same "$native" "$($run "$mode")" "$(printf "$what" "$mode")" "$(printf "$log" "$mode")"
    done
}

# The daemons' private configurations, the same for the tests and the
# benchmark.

# redis_conf DIR PORT IO_THREADS: writes DIR/redis.conf (no persistence,
# 2,000 clients, log in DIR/redis.log).
redis_conf() {
    cat >"$1/redis.conf" <<EOF
port $2
bind 127.0.0.1
dir $1
logfile $1/redis.log
save ""
appendonly no
daemonize no
maxclients 2000
io-threads $3
EOF
}

# apache_conf DIR PORT HTDOCS: writes DIR/httpd.conf: the worker MPM, 2
# children x 200 threads, KeepAlive, sendfile and mmap, serving HTDOCS; the
# error log is DIR/error.log.
apache_modules=/usr/lib/apache2/modules
apache_conf() {
    local dir=$1 port=$2 htdocs=$3 user=
    [ "$(id -u)" = 0 ] && user=$'User nobody\nGroup nogroup'
    cat >"$dir/httpd.conf" <<EOF
ServerRoot $dir
DefaultRuntimeDir $dir
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
ErrorLog $dir/error.log
LogLevel notice
$user
LoadModule mpm_worker_module $apache_modules/mod_mpm_worker.so
LoadModule authz_core_module $apache_modules/mod_authz_core.so
LoadModule mime_module $apache_modules/mod_mime.so
TypesConfig /etc/mime.types
ServerLimit 2
StartServers 2
ThreadLimit 200
ThreadsPerChild 200
MaxRequestWorkers 400
MinSpareThreads 50
MaxSpareThreads 400
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 1000
EnableSendfile On
EnableMMAP On
GracefulShutdownTimeout 20
DocumentRoot $htdocs
<Directory $htdocs>
    Require all granted
</Directory>
EOF
}

# mariadb_seed DIR: a fresh MariaDB data directory DIR (root without a
# password, no test database); mariadb-install-db's output in DIR.log.
mariadb_seed() {
    mariadb-install-db --no-defaults --datadir="$1" --user="$(id -un)" \
        --auth-root-authentication-method=normal --skip-test-db >"$1.log" 2>&1
}

# mariadb_ready PID LOG [SECONDS]: until mariadbd's error LOG says "ready for
# connections"; fails when PID exits first or the time runs out (default 60).
mariadb_ready() {
    wait_for "$1" "${3:-60}" grep -qs "ready for connections" "$2"
}

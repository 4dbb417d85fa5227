/*
 * loadgen: single-threaded epoll load generator for the echo/HTTP servers
 * that tools/green-bench measures. It must never run under LD_PRELOAD (it is
 * the measuring instrument, not the thing measured).
 *
 *   loadgen --host 127.0.0.1 --port P --conns N --active K --duration S
 *           [--size 64] [--warmup S] [--settle S] [--protocol echo|http]
 *           [--ramp 256] [--connect-timeout S] [--msg-timeout S]
 *           [--cpu C] [--json]
 *
 * Phases, each announced on stderr by a line starting with '#', which the
 * driver uses to sample the server at the right moments:
 *   connect  open N non-blocking connections, at most --ramp in flight,
 *            retrying ECONNREFUSED/EAGAIN/EADDRNOTAVAIL/ECONNRESET with
 *            backoff; a connection counts as established only after one
 *            echoed message (or one HTTP response), so the server has really
 *            accepted it and its handler is running.
 *            -> "#connected ESTABLISHED FAILED SECONDS"
 *   settle   --settle seconds of nothing (memory sampling window).
 *   warmup   K connections ping-pong, not recorded. -> "#warmup"
 *   measure  K connections ping-pong --duration seconds; one outstanding
 *            message per active connection; every echoed byte is checked.
 *            -> "#measure-start", "#measure-end"
 *   drain    wait for the outstanding replies (closing a connection with
 *            an echo in flight would reset it), then close all.
 * A reply missing for --msg-timeout seconds (default 10), in any phase,
 * counts as a msg_timeout error and closes its connection: that is how a
 * server that lost a wake-up shows. (Natively, a thread-per-connection
 * server with 10000 busy threads on one CPU has a latency tail of seconds.)
 * Idle connections stay open and must stay silent; a close or stray byte on
 * one counts as an error. The result goes to stdout (text or --json).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 32)
#define strerrorname_np(e) strerror(e) /* glibc 2.32+ */
#endif

enum { ST_FREE, ST_WAIT_RETRY, ST_CONNECTING, ST_HANDSHAKE, ST_IDLE, ST_BUSY, ST_DEAD };
enum { PH_CONNECT, PH_SETTLE, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };
enum { E_CONNECT, E_HANDSHAKE_TIMEOUT, E_RESET, E_EOF, E_MISMATCH, E_MSG_TIMEOUT, E_HTTP, E_COUNT };
static const char *err_names[E_COUNT] = {
    "connect_failed", "handshake_timeout", "reset", "eof", "mismatch", "msg_timeout", "http_parse",
};

typedef struct {
    int fd;
    uint8_t state;
    uint8_t active;
    uint8_t want_out;
    uint8_t attempts;
    uint32_t seq;
    uint32_t sent, recvd;
    uint64_t t_send;   /* ns: message sent (or connect started) */
    uint64_t t_retry;  /* ns: when to retry a failed connect */
    /* HTTP response parser */
    uint8_t h_state;   /* 0 headers, 1 body */
    uint8_t h_crlf;    /* progress through "\r\n\r\n" */
    uint8_t h_linelen;
    char h_line[24];
    int64_t h_clen;    /* content-length, -1 unknown */
    int64_t h_body;    /* body bytes still to read */
} conn_t;

static struct {
    const char *host;
    int port, conns, active, size, protocol_http, json, cpu, ramp;
    double duration, warmup, settle, connect_timeout, msg_timeout;
} opt = {
    .host = "127.0.0.1", .port = 0, .conns = 100, .active = -1, .size = 64,
    .duration = 5, .warmup = 1, .settle = 0.5, .connect_timeout = 60,
    .msg_timeout = 10, .cpu = -1, .ramp = 256,
};

static conn_t *conns;
static int epfd;
static struct sockaddr_in dst;
static int n_src = 1; /* loopback source addresses connections are spread over */
static int phase;
static uint64_t errors[E_COUNT];
static int established, established_at_connect, failed_conns, in_flight, next_new;
static uint64_t msgs_measured, msgs_total;
static uint64_t retries, retry_errno[256];
static unsigned char scratch[65536];

/* latency histogram: 1 us buckets below 100 ms, 1 ms buckets up to 100 s */
#define H_FINE 100000
#define H_COARSE 100000
static uint64_t *hist;
static uint64_t lat_max_ns, lat_sum_ns, lat_count;

static const char http_request[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n";

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *msg)
{
    fprintf(stderr, "loadgen: %s\n", msg);
    exit(2);
}

static inline unsigned char pattern(uint32_t id, uint32_t seq, uint32_t off)
{
    return (unsigned char)(id * 31u + seq * 7u + off * 13u + (off >> 8));
}

static void record_latency(uint64_t ns)
{
    uint64_t us = ns / 1000;
    size_t idx = us < H_FINE ? us : H_FINE + (us / 1000 < H_COARSE ? us / 1000 : H_COARSE - 1);
    hist[idx]++;
    lat_count++;
    lat_sum_ns += ns;
    if (ns > lat_max_ns)
        lat_max_ns = ns;
}

static double percentile_us(double p)
{
    if (lat_count == 0)
        return 0;
    uint64_t want = (uint64_t)ceil(p * (double)lat_count);
    if (want == 0)
        want = 1;
    uint64_t acc = 0;
    for (size_t i = 0; i < H_FINE + H_COARSE; i++) {
        acc += hist[i];
        if (acc >= want)
            return i < H_FINE ? (double)i : (double)(i - H_FINE) * 1000.0;
    }
    return (double)lat_max_ns / 1000.0;
}

static void ep_set(conn_t *c, uint32_t events, int op)
{
    struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(c - conns) };
    if (epoll_ctl(epfd, op, c->fd, &ev) < 0 && op != EPOLL_CTL_DEL) {
        perror("epoll_ctl");
        exit(2);
    }
}

static void conn_close(conn_t *c)
{
    if (c->fd >= 0) {
        close(c->fd); /* also removes it from the epoll set */
        c->fd = -1;
    }
}

/* A connection that had been established died: count it once. */
static void conn_fail(conn_t *c, int kind)
{
    errors[kind]++;
    if (c->state == ST_CONNECTING || c->state == ST_HANDSHAKE)
        in_flight--;
    if (c->state == ST_IDLE || c->state == ST_BUSY)
        established--;
    failed_conns++;
    conn_close(c);
    c->state = ST_DEAD;
}

static int retryable(int err)
{
    return err == ECONNREFUSED || err == EAGAIN || err == EADDRNOTAVAIL || err == ECONNRESET ||
           err == ETIMEDOUT || err == EPIPE;
}

static void schedule_retry(conn_t *c, int err)
{
    conn_close(c);
    in_flight--;
    c->attempts++;
    retries++;
    if (err > 0 && err < 256)
        retry_errno[err]++;
    if (!retryable(err) || c->attempts > 30) {
        errors[E_CONNECT]++;
        failed_conns++;
        c->state = ST_DEAD;
        if (failed_conns <= 3)
            fprintf(stderr, "loadgen: connect failed: %s\n", strerror(err));
        return;
    }
    uint64_t backoff_ms = 10u << (c->attempts < 7 ? c->attempts : 7);
    if (backoff_ms > 1000)
        backoff_ms = 1000;
    c->t_retry = now_ns() + backoff_ms * 1000000ull + (uint64_t)(rand() % 10) * 1000000ull;
    c->state = ST_WAIT_RETRY;
}

static void start_connect(conn_t *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (c->fd < 0) {
        if (errno == EMFILE || errno == ENFILE)
            die("out of file descriptors (RLIMIT_NOFILE)");
        perror("socket");
        exit(2);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (n_src > 1) {
        /* spread over 127.0.0.x sources; the port is still picked at connect() */
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = { .sin_family = AF_INET };
        src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)((c - conns) % n_src));
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
            perror("bind source address");
            exit(2);
        }
    }
    in_flight++;
    c->state = ST_CONNECTING;
    c->t_send = now_ns();
    if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        schedule_retry(c, errno);
        return;
    }
    ep_set(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void try_write(conn_t *c);

static void send_msg(conn_t *c)
{
    c->seq++;
    c->sent = 0;
    c->recvd = 0;
    c->h_state = 0;
    c->h_crlf = 0;
    c->h_linelen = 0;
    c->h_clen = -1;
    c->t_send = now_ns();
    try_write(c);
}

static void try_write(conn_t *c)
{
    uint32_t total = opt.protocol_http ? (uint32_t)(sizeof http_request - 1) : (uint32_t)opt.size;
    uint32_t idx = (uint32_t)(c - conns);
    while (c->sent < total) {
        uint32_t n = total - c->sent;
        const void *p;
        if (opt.protocol_http) {
            p = http_request + c->sent;
        } else {
            if (n > sizeof scratch)
                n = sizeof scratch;
            for (uint32_t i = 0; i < n; i++)
                scratch[i] = pattern(idx, c->seq, c->sent + i);
            p = scratch;
        }
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!c->want_out) {
                    c->want_out = 1;
                    ep_set(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
                }
                return;
            }
            if (c->state == ST_HANDSHAKE)
                schedule_retry(c, errno);
            else
                conn_fail(c, E_RESET);
            return;
        }
        c->sent += (uint32_t)w;
    }
    if (c->want_out) {
        c->want_out = 0;
        ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
    }
}

/* One full response arrived on c. */
static void msg_done(conn_t *c)
{
    uint64_t t = now_ns();
    if (c->state == ST_HANDSHAKE) {
        c->state = ST_IDLE;
        in_flight--;
        established++;
        return;
    }
    c->state = ST_IDLE;
    msgs_total++;
    if (phase == PH_MEASURE) {
        msgs_measured++;
        record_latency(t - c->t_send);
    }
    if (c->active && (phase == PH_WARMUP || phase == PH_MEASURE)) {
        c->state = ST_BUSY;
        send_msg(c);
    }
}

/* Feed HTTP response bytes; returns bytes consumed, or -1 on a parse error.
 * Stops after one complete response so pipelined extra data is an error. */
static ssize_t http_feed(conn_t *c, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (c->h_state == 0) {
            char ch = (char)p[i++];
            if (ch == '\n') {
                c->h_line[c->h_linelen < sizeof c->h_line ? c->h_linelen : sizeof c->h_line - 1] = 0;
                if (strncasecmp(c->h_line, "content-length:", 15) == 0)
                    c->h_clen = strtoll(c->h_line + 15, NULL, 10);
                if (strncasecmp(c->h_line, "transfer-encoding:", 18) == 0)
                    return -1; /* chunked responses are not supported */
                c->h_linelen = 0;
            } else if (ch != '\r' && c->h_linelen < sizeof c->h_line - 1) {
                c->h_line[c->h_linelen++] = ch;
            }
            if ((c->h_crlf == 0 || c->h_crlf == 2) && ch == '\r')
                c->h_crlf++;
            else if ((c->h_crlf == 1 || c->h_crlf == 3) && ch == '\n')
                c->h_crlf++;
            else
                c->h_crlf = (ch == '\r') ? 1 : 0;
            if (c->h_crlf == 4) {
                c->h_state = 1;
                c->h_body = c->h_clen > 0 ? c->h_clen : 0;
                if (c->h_body == 0)
                    return (ssize_t)i;
            }
        } else {
            size_t take = n - i;
            if ((int64_t)take > c->h_body)
                take = (size_t)c->h_body;
            i += take;
            c->h_body -= (int64_t)take;
            if (c->h_body == 0)
                return (ssize_t)i;
        }
    }
    return (ssize_t)i;
}

static void on_readable(conn_t *c)
{
    uint32_t idx = (uint32_t)(c - conns);
    for (int rounds = 0; rounds < 4 && c->fd >= 0; rounds++) {
        ssize_t n = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            if (c->state == ST_HANDSHAKE)
                schedule_retry(c, errno);
            else
                conn_fail(c, E_RESET);
            return;
        }
        if (n == 0) {
            if (c->state == ST_HANDSHAKE)
                schedule_retry(c, ECONNRESET);
            else
                conn_fail(c, E_EOF);
            return;
        }
        if (c->state != ST_BUSY && c->state != ST_HANDSHAKE) {
            conn_fail(c, E_MISMATCH); /* bytes nobody asked for */
            return;
        }
        size_t off = 0;
        while (off < (size_t)n) {
            if (c->state != ST_BUSY && c->state != ST_HANDSHAKE) {
                conn_fail(c, E_MISMATCH);
                return;
            }
            if (opt.protocol_http) {
                ssize_t used = http_feed(c, scratch + off, (size_t)n - off);
                if (used < 0) {
                    conn_fail(c, E_HTTP);
                    return;
                }
                off += (size_t)used;
                if (c->h_state == 1 && c->h_body == 0)
                    msg_done(c);
            } else {
                size_t take = (size_t)n - off;
                if (take > (size_t)opt.size - c->recvd)
                    take = (size_t)opt.size - c->recvd;
                for (size_t i = 0; i < take; i++) {
                    if (scratch[off + i] != pattern(idx, c->seq, c->recvd + (uint32_t)i)) {
                        conn_fail(c, E_MISMATCH);
                        return;
                    }
                }
                off += take;
                c->recvd += (uint32_t)take;
                if (c->recvd == (uint32_t)opt.size)
                    msg_done(c);
            }
            if (c->fd < 0)
                return;
        }
        if ((size_t)n < sizeof scratch)
            return; /* level-triggered: anything left is reported again */
    }
}

static void on_connected(conn_t *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        schedule_retry(c, err);
        return;
    }
    c->state = ST_HANDSHAKE;
    c->t_send = now_ns();
    ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
    send_msg(c);
}

static void on_event(uint32_t idx, uint32_t events)
{
    conn_t *c = &conns[idx];
    if (c->fd < 0)
        return;
    if (c->state == ST_CONNECTING) {
        on_connected(c);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(c);
    if (c->fd >= 0 && c->want_out && (events & EPOLLOUT))
        try_write(c);
}

/* Periodic work: start new connections, retries, timeouts. */
static void housekeeping(uint64_t t)
{
    if (phase == PH_CONNECT) {
        uint64_t hs_timeout = 10ull * 1000000000ull;
        for (int i = 0; i < next_new; i++) {
            conn_t *c = &conns[i];
            if (c->state == ST_WAIT_RETRY && t >= c->t_retry && in_flight < opt.ramp)
                start_connect(c);
            else if ((c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) && t - c->t_send > hs_timeout) {
                if (c->attempts >= 3) {
                    errors[E_HANDSHAKE_TIMEOUT]++;
                    failed_conns++;
                    in_flight--;
                    conn_close(c);
                    c->state = ST_DEAD;
                } else {
                    schedule_retry(c, ETIMEDOUT);
                }
            }
        }
    } else if (phase == PH_WARMUP || phase == PH_MEASURE || phase == PH_DRAIN) {
        uint64_t mt = (uint64_t)(opt.msg_timeout * 1e9);
        for (int i = 0; i < opt.conns; i++) {
            conn_t *c = &conns[i];
            if (c->state == ST_BUSY && t - c->t_send > mt)
                conn_fail(c, E_MSG_TIMEOUT);
        }
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --port P [--host 127.0.0.1] [--conns N] [--active K] [--duration S]\n"
            "               [--size BYTES] [--warmup S] [--settle S] [--protocol echo|http]\n"
            "               [--ramp N] [--connect-timeout S] [--msg-timeout S] [--cpu C] [--json]\n");
    exit(2);
}

static void parse_args(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, 0, 'h' },     { "port", required_argument, 0, 'p' },
        { "conns", required_argument, 0, 'c' },    { "active", required_argument, 0, 'a' },
        { "duration", required_argument, 0, 'd' }, { "size", required_argument, 0, 's' },
        { "warmup", required_argument, 0, 'w' },   { "settle", required_argument, 0, 'S' },
        { "protocol", required_argument, 0, 'P' }, { "ramp", required_argument, 0, 'r' },
        { "connect-timeout", required_argument, 0, 'C' },
        { "msg-timeout", required_argument, 0, 'M' },
        { "cpu", required_argument, 0, 'u' },      { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, '?' },           { 0, 0, 0, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'c': opt.conns = atoi(optarg); break;
        case 'a': opt.active = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 's': opt.size = atoi(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'S': opt.settle = atof(optarg); break;
        case 'r': opt.ramp = atoi(optarg); break;
        case 'C': opt.connect_timeout = atof(optarg); break;
        case 'M': opt.msg_timeout = atof(optarg); break;
        case 'u': opt.cpu = atoi(optarg); break;
        case 'j': opt.json = 1; break;
        case 'P':
            if (strcmp(optarg, "http") == 0)
                opt.protocol_http = 1;
            else if (strcmp(optarg, "echo") != 0)
                usage();
            break;
        default: usage();
        }
    }
    if (opt.port <= 0 || opt.port > 65535 || opt.conns <= 0 || opt.size <= 0 || opt.duration <= 0 ||
        opt.ramp <= 0 || opt.warmup < 0 || opt.settle < 0)
        usage();
    if (opt.active < 0 || opt.active > opt.conns)
        opt.active = opt.conns;
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (getenv("LD_PRELOAD") && *getenv("LD_PRELOAD"))
        die("refusing to run under LD_PRELOAD: the load generator must be native");
    signal(SIGPIPE, SIG_IGN);
    if (opt.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(opt.cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
            perror("sched_setaffinity");
    }

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)opt.conns + 16 > rl.rlim_cur) {
        fprintf(stderr, "loadgen: --conns %d needs more than RLIMIT_NOFILE %llu fds\n", opt.conns,
                (unsigned long long)rl.rlim_cur);
        return 2;
    }

    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((unsigned short)opt.port);
    if (inet_pton(AF_INET, opt.host, &dst.sin_addr) != 1) {
        struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
        if (getaddrinfo(opt.host, NULL, &hints, &res) != 0)
            die("cannot resolve --host");
        dst.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    /* connect() picks even ephemeral ports first (ip_local_port_range, half of
     * 32768-60999 by default); once they are used up each connect() scans
     * them all, which costs milliseconds per call around 14000 connections.
     * On loopback, spread connections over 127.0.0.1, .2, ... instead: every
     * source address has its own port space. */
    if ((ntohl(dst.sin_addr.s_addr) >> 24) == 127)
        n_src = 1 + opt.conns / 8000;

    conns = calloc((size_t)opt.conns, sizeof *conns);
    hist = calloc(H_FINE + H_COARSE, sizeof *hist);
    if (!conns || !hist)
        die("out of memory");
    for (int i = 0; i < opt.conns; i++)
        conns[i].fd = -1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    srand((unsigned)getpid());

    uint64_t t0 = now_ns(), phase_end = t0 + (uint64_t)(opt.connect_timeout * 1e9);
    uint64_t last_tick = 0, last_progress = t0, t_measure = 0, t_measure_end = 0;
    double cpu_measure = 0;
    double connect_secs = 0;
    phase = PH_CONNECT;
    struct epoll_event evs[1024];

    while (phase != PH_DONE) {
        uint64_t t = now_ns();
        if (t - last_tick >= 20000000ull) {
            housekeeping(t);
            last_tick = t;
        }
        while (phase == PH_CONNECT && next_new < opt.conns && in_flight < opt.ramp)
            start_connect(&conns[next_new++]);
        if (phase == PH_CONNECT) {
            if (established + failed_conns >= opt.conns || t >= phase_end) {
                connect_secs = (double)(t - t0) / 1e9;
                for (int i = 0; i < opt.conns; i++) {
                    conn_t *c = &conns[i];
                    if (c->state == ST_FREE || c->state == ST_WAIT_RETRY || c->state == ST_CONNECTING ||
                        c->state == ST_HANDSHAKE) {
                        if (c->state != ST_FREE && c->state != ST_WAIT_RETRY)
                            in_flight--;
                        errors[E_HANDSHAKE_TIMEOUT]++;
                        failed_conns++;
                        conn_close(c);
                        c->state = ST_DEAD;
                    }
                }
                established_at_connect = established;
                fprintf(stderr, "#connected %d %d %.3f\n", established, failed_conns, connect_secs);
                if (retries) {
                    fprintf(stderr, "loadgen: %llu connect retries:", (unsigned long long)retries);
                    for (int e = 1; e < 256; e++)
                        if (retry_errno[e])
                            fprintf(stderr, " %s=%llu", strerrorname_np(e), (unsigned long long)retry_errno[e]);
                    fprintf(stderr, "\n");
                }
                phase = PH_SETTLE;
                phase_end = t + (uint64_t)(opt.settle * 1e9);
                continue;
            }
            if (t - last_progress >= 1000000000ull) {
                last_progress = t;
                fprintf(stderr, "#progress connected %d/%d failed %d\n", established, opt.conns, failed_conns);
            }
        } else if (t >= phase_end) {
            if (phase == PH_SETTLE || phase == PH_WARMUP) {
                if (phase == PH_SETTLE) {
                    int picked = 0;
                    for (int i = 0; i < opt.conns && picked < opt.active; i++) {
                        if (conns[i].state == ST_IDLE) {
                            conns[i].active = 1;
                            picked++;
                        }
                    }
                }
                if (phase == PH_SETTLE && opt.warmup > 0) {
                    fprintf(stderr, "#warmup\n");
                    phase = PH_WARMUP;
                    phase_end = t + (uint64_t)(opt.warmup * 1e9);
                } else {
                    fprintf(stderr, "#measure-start\n");
                    phase = PH_MEASURE;
                    t_measure = t;
                    cpu_measure = cpu_seconds();
                    phase_end = t + (uint64_t)(opt.duration * 1e9);
                }
                for (int i = 0; i < opt.conns; i++) {
                    conn_t *c = &conns[i];
                    if (c->active && c->state == ST_IDLE) {
                        c->state = ST_BUSY;
                        send_msg(c);
                    }
                }
                continue;
            }
            if (phase == PH_MEASURE) {
                t_measure_end = t;
                cpu_measure = cpu_seconds() - cpu_measure;
                fprintf(stderr, "#measure-end\n");
                phase = PH_DRAIN;
                phase_end = t + (uint64_t)(opt.msg_timeout * 1e9);
                continue;
            }
            if (phase == PH_DRAIN) {
                for (int i = 0; i < opt.conns; i++)
                    if (conns[i].state == ST_BUSY)
                        conn_fail(&conns[i], E_MSG_TIMEOUT);
                break;
            }
        }
        if (phase == PH_DRAIN) {
            int busy = 0;
            for (int i = 0; i < opt.conns && !busy; i++)
                busy = conns[i].state == ST_BUSY;
            if (!busy)
                break;
        }
        int64_t wait_ms = phase == PH_CONNECT ? 10 : 20;
        if (phase != PH_CONNECT) {
            int64_t left = (int64_t)(phase_end - t) / 1000000;
            if (left < wait_ms)
                wait_ms = left < 0 ? 0 : left;
        }
        int n = epoll_wait(epfd, evs, 1024, (int)wait_ms);
        if (n < 0 && errno != EINTR) {
            perror("epoll_wait");
            return 2;
        }
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.u32, evs[i].events);
    }

    int active_alive = 0, alive = established;
    for (int i = 0; i < opt.conns; i++) {
        if (conns[i].active && conns[i].state != ST_DEAD)
            active_alive++;
        conn_close(&conns[i]);
    }
    double secs = (double)(t_measure_end - t_measure) / 1e9;
    double rate = secs > 0 ? (double)msgs_measured / secs : 0;
    double cpu_pct = secs > 0 ? 100.0 * cpu_measure / secs : 0;
    uint64_t err_total = 0;
    for (int i = 0; i < E_COUNT; i++)
        err_total += errors[i];
    double mean = lat_count ? (double)lat_sum_ns / (double)lat_count / 1000.0 : 0;

    if (opt.json) {
        printf("{\"protocol\": \"%s\", \"host\": \"%s\", \"port\": %d, \"conns\": %d, "
               "\"established\": %d, \"alive_at_end\": %d, \"active\": %d, \"active_alive\": %d, \"size\": %d, "
               "\"connect_s\": %.3f, \"connect_retries\": %llu, \"duration_s\": %.3f, \"warmup_s\": %.3f, "
               "\"messages\": %llu, \"msgs_per_s\": %.1f, "
               "\"lat_us\": {\"mean\": %.1f, \"p50\": %.0f, \"p90\": %.0f, \"p99\": %.0f, "
               "\"p999\": %.0f, \"max\": %.0f}, \"cpu_pct\": %.1f, \"nofile\": %llu, "
               "\"errors\": %llu, \"error_kinds\": {",
               opt.protocol_http ? "http" : "echo", opt.host, opt.port, opt.conns, established_at_connect,
               alive, opt.active, active_alive, opt.size, connect_secs, (unsigned long long)retries, secs, opt.warmup,
               (unsigned long long)msgs_measured, rate, mean, percentile_us(0.5), percentile_us(0.9),
               percentile_us(0.99), percentile_us(0.999), (double)lat_max_ns / 1000.0, cpu_pct,
               (unsigned long long)rl.rlim_cur, (unsigned long long)err_total);
        for (int i = 0; i < E_COUNT; i++)
            printf("%s\"%s\": %llu", i ? ", " : "", err_names[i], (unsigned long long)errors[i]);
        printf("}}\n");
    } else {
        printf("connections  %d/%d established in %.2f s (%d active), %d alive at end\n",
               established_at_connect, opt.conns, connect_secs, opt.active, alive);
        if (opt.protocol_http)
            printf("throughput   %.0f responses/s over %.2f s (%llu responses)\n", rate, secs,
                   (unsigned long long)msgs_measured);
        else
            printf("throughput   %.0f msgs/s over %.2f s (%llu messages of %d bytes)\n", rate, secs,
                   (unsigned long long)msgs_measured, opt.size);
        printf("latency us   mean %.1f p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f max %.0f\n", mean,
               percentile_us(0.5), percentile_us(0.9), percentile_us(0.99), percentile_us(0.999),
               (double)lat_max_ns / 1000.0);
        printf("loadgen cpu  %.1f%%\n", cpu_pct);
        printf("errors       %llu", (unsigned long long)err_total);
        for (int i = 0; i < E_COUNT; i++)
            if (errors[i])
                printf(" %s=%llu", err_names[i], (unsigned long long)errors[i]);
        printf("\n");
    }
    return 0;
}

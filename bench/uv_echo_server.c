/*
 * uv_echo_server: the event-loop reference point for tools/green-bench.
 *
 * One OS thread, one libuv loop, no per-connection thread or stack: this is
 * what a hand-written event-driven server costs per connection, the floor
 * libgreen's green threads are compared against. Same CLI and behaviour as
 * legacy_echo_server (echo until EOF, or "http" mode answering each request
 * with a fixed keep-alive 200), same stop protocol (SIGTERM/SIGINT: close
 * the listener, print one summary line, exit 0).
 *
 * usage: uv_echo_server PORT [echo|http]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <uv.h>

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_signal_t sig_term, sig_int;
static int http_mode;
static unsigned long accepted, finished, failed, open_conns;

static const char http_response[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "Hello, world\n";

typedef struct {
    uv_tcp_t tcp;
    int state; /* http: how much of "\r\n\r\n" has been seen */
    int failed;
} conn_t;

typedef struct {
    uv_write_t req;
    char *data; /* NULL when the payload is static */
} write_t;

static void on_close(uv_handle_t *h)
{
    conn_t *c = (conn_t *)h;
    if (c->failed)
        failed++;
    else
        finished++;
    open_conns--;
    free(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    if (suggested > 65536)
        suggested = 65536;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_write(uv_write_t *req, int status)
{
    write_t *w = (write_t *)req;
    if (status < 0) {
        conn_t *c = (conn_t *)req->handle;
        if (!uv_is_closing((uv_handle_t *)c)) {
            c->failed = 1;
            uv_close((uv_handle_t *)c, on_close);
        }
    }
    free(w->data);
    free(w);
}

static void send_buf(conn_t *c, char *data, const char *base, size_t len)
{
    write_t *w = malloc(sizeof *w);
    w->data = data;
    uv_buf_t b = uv_buf_init((char *)base, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)c, &b, 1, on_write) < 0) {
        free(data);
        free(w);
        c->failed = 1;
        uv_close((uv_handle_t *)c, on_close);
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    conn_t *c = (conn_t *)s;
    if (n < 0) {
        free(buf->base);
        if (n != UV_EOF)
            c->failed = 1;
        if (!uv_is_closing((uv_handle_t *)c))
            uv_close((uv_handle_t *)c, on_close);
        return;
    }
    if (n == 0) {
        free(buf->base);
        return;
    }
    if (!http_mode) {
        send_buf(c, buf->base, buf->base, (size_t)n);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        char ch = buf->base[i];
        if ((c->state == 0 || c->state == 2) && ch == '\r')
            c->state++;
        else if ((c->state == 1 || c->state == 3) && ch == '\n')
            c->state++;
        else
            c->state = (ch == '\r') ? 1 : 0;
        if (c->state == 4) {
            c->state = 0;
            send_buf(c, NULL, http_response, sizeof http_response - 1);
            if (uv_is_closing((uv_handle_t *)c))
                break;
        }
    }
    free(buf->base);
}

static void on_connection(uv_stream_t *srv, int status)
{
    if (status < 0)
        return;
    conn_t *c = calloc(1, sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(srv, (uv_stream_t *)c) != 0) {
        free(c);
        return;
    }
    accepted++;
    open_conns++;
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)c, on_alloc, on_read);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    uv_stop(loop);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [echo|http]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    if (argc == 3)
        http_mode = strcmp(argv[2], "http") == 0;

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);

    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    int r = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection);
    if (r != 0) {
        fprintf(stderr, "listen: %s\n", uv_strerror(r));
        return 1;
    }
    int alen = sizeof addr;
    uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &alen);
    printf("listening on %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_int, on_signal, SIGINT);

    uv_run(loop, UV_RUN_DEFAULT);

    printf("uv_echo_server: stopped: accepted %lu, finished %lu, failed %lu, still open %lu\n",
           accepted, finished, failed, open_conns);
    fflush(stdout);
    return 0;
}

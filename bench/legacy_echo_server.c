/*
 * legacy_echo_server: the "1998 daemon" libgreen exists for.
 *
 * One OS thread per connection (pthread_create with default attributes,
 * detached), blocking accept/read/write, and a SIGTERM handler installed
 * WITHOUT SA_RESTART so that the blocking accept() in the main loop returns
 * EINTR (signal(7): "If a blocked call to one of the following interfaces is
 * interrupted by a signal handler ... the call fails with the error EINTR"
 * unless SA_RESTART is used; accept(2) is in that list) and the daemon stops
 * cleanly. Nothing here knows about libgreen: run it natively or with
 * LD_PRELOAD=libgreen.so and compare (tools/green-bench does that).
 *
 * usage: legacy_echo_server PORT [echo|http]
 *   PORT 0 picks an ephemeral port; the chosen one is printed as
 *   "listening on PORT". "http" answers every request (headers up to the
 *   blank line) with a small keep-alive HTTP/1.1 200 response instead of
 *   echoing, for loadgen --protocol http.
 * On SIGTERM/SIGINT: closes the listener, prints one summary line, exits 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static int http_mode;

static unsigned long accepted, spawn_failures;
static unsigned long conns_done, conns_failed;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static const char http_response[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 13\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "Hello, world\n";

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Echo until EOF. The 16 KiB buffer lives on the thread's stack, as in
 * the code this stands for. */
static int serve_echo(int fd)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (write_all(fd, buf, (size_t)n) < 0)
            return -1;
    }
}

/* Count complete requests (each ends with an empty line) and answer each. */
static int serve_http(int fd)
{
    char buf[16384];
    int state = 0; /* how much of "\r\n\r\n" has been seen */
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if ((state == 0 || state == 2) && c == '\r')
                state++;
            else if ((state == 1 || state == 3) && c == '\n')
                state++;
            else
                state = (c == '\r') ? 1 : 0;
            if (state == 4) {
                state = 0;
                if (write_all(fd, http_response, sizeof http_response - 1) < 0)
                    return -1;
            }
        }
    }
}

static void *handle_client(void *arg)
{
    int fd = (int)(long)arg;
    int rc = http_mode ? serve_http(fd) : serve_echo(fd);
    close(fd);
    pthread_mutex_lock(&stats_lock);
    if (rc == 0)
        conns_done++;
    else
        conns_failed++;
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
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

    raise_nofile();
    signal(SIGPIPE, SIG_IGN);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: accept() must fail with EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)port);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    if (listen(lfd, SOMAXCONN) < 0) {
        perror("listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("listening on %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    while (!stop) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                perror("accept");
                usleep(10000);
                continue;
            }
            perror("accept");
            continue;
        }
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t th;
        int err = pthread_create(&th, NULL, handle_client, (void *)(long)cfd);
        if (err != 0) {
            fprintf(stderr, "pthread_create: %s\n", strerror(err));
            spawn_failures++;
            close(cfd);
            continue;
        }
        pthread_detach(th);
        accepted++;
    }
    close(lfd);

    pthread_mutex_lock(&stats_lock);
    printf("legacy_echo_server: stopped: accepted %lu, finished %lu, failed %lu, "
           "spawn failures %lu, still open %lu\n",
           accepted, conns_done, conns_failed, spawn_failures,
           accepted - conns_done - conns_failed);
    pthread_mutex_unlock(&stats_lock);
    fflush(stdout);
    return 0;
}

/*
 * micro_pipe_pingpong: two threads bounce one byte over two pipes (ns per
 * round trip = two blocking read()s and two write()s). Natively each read
 * sleeps in the kernel and each write wakes the other OS thread; under
 * libgreen a read parks the green thread on the hub's poller instead.
 */
#include <pthread.h>

#include "micro_common.h"

static int ping[2], pong[2];

static void *echo(void *arg)
{
    (void)arg;
    char c;
    for (;;) {
        if (read(ping[0], &c, 1) != 1)
            micro_die("echo read");
        if (c == 'q')
            return NULL;
        if (write(pong[1], &c, 1) != 1)
            micro_die("echo write");
    }
}

static void *driver(void *arg)
{
    (void)arg;
    double secs = micro_seconds();
    uint64_t trips = 0, t0 = micro_now_ns(), deadline = t0 + (uint64_t)(secs * 1e9), t;
    char c = 'x';
    do {
        for (int i = 0; i < 100; i++) {
            if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
                micro_die("driver read/write");
        }
        trips += 100;
        t = micro_now_ns();
    } while (t < deadline);
    c = 'q';
    if (write(ping[1], &c, 1) != 1)
        micro_die("driver quit");
    micro_report("pipe_roundtrip", (double)(t - t0) / (double)trips, "ns");
    return NULL;
}

int main(void)
{
    alarm(30);
    if (pipe(ping) < 0 || pipe(pong) < 0)
        micro_die("pipe");
    pthread_t a, b;
    if (pthread_create(&a, NULL, echo, NULL) != 0 || pthread_create(&b, NULL, driver, NULL) != 0)
        micro_die("pthread_create");
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    return 0;
}

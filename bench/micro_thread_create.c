/*
 * micro_thread_create: cost of pthread_create + pthread_join of a thread
 * that returns at once (ns per pair). Natively this is clone(2), a stack
 * mapping reused from glibc's cache, and a futex wake on exit; under
 * libgreen it is a green thread spawn, a context switch and a stack reuse.
 */
#include <pthread.h>

#include "micro_common.h"

static void *noop(void *arg)
{
    return arg;
}

int main(void)
{
    alarm(30);
    double secs = micro_seconds();
    uint64_t pairs = 0, t0 = micro_now_ns(), deadline = t0 + (uint64_t)(secs * 1e9), t;
    do {
        for (int i = 0; i < 100; i++) {
            pthread_t th;
            if (pthread_create(&th, NULL, noop, NULL) != 0)
                micro_die("pthread_create");
            if (pthread_join(th, NULL) != 0)
                micro_die("pthread_join");
        }
        pairs += 100;
        t = micro_now_ns();
    } while (t < deadline);
    micro_report("thread_create_join", (double)(t - t0) / (double)pairs, "ns");
    return 0;
}

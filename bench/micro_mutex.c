/*
 * micro_mutex: uncontended pthread_mutex_lock + unlock (ns per pair), run in
 * a created thread so that under libgreen it is a green thread's fast path.
 * Natively this is one atomic CAS and one atomic exchange, no syscall; an
 * interposed mutex should stay within a small factor of it.
 */
#include <pthread.h>

#include "micro_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t counter;

static void *run(void *arg)
{
    (void)arg;
    double secs = micro_seconds();
    uint64_t pairs = 0, t0 = micro_now_ns(), deadline = t0 + (uint64_t)(secs * 1e9), t;
    do {
        for (int i = 0; i < 10000; i++) {
            pthread_mutex_lock(&mu);
            counter++;
            pthread_mutex_unlock(&mu);
        }
        pairs += 10000;
        t = micro_now_ns();
    } while (t < deadline);
    if (counter != pairs)
        micro_die("counter mismatch");
    micro_report("mutex_uncontended", (double)(t - t0) / (double)pairs, "ns");
    return NULL;
}

int main(void)
{
    alarm(30);
    pthread_t th;
    if (pthread_create(&th, NULL, run, NULL) != 0)
        micro_die("pthread_create");
    pthread_join(th, NULL);
    return 0;
}

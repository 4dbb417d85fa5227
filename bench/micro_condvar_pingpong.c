/*
 * micro_condvar_pingpong: two threads hand a token back and forth through a
 * mutex and two condition variables (ns per handoff). Natively each handoff
 * is a futex wake plus a futex wait and a scheduler switch between OS
 * threads (across cores unless pinned); under libgreen with one hub it is a
 * user-space context switch.
 */
#include <pthread.h>

#include "micro_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[2] = { PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };
static int turn;
static int stop;
static uint64_t handoffs;

static void *player(void *arg)
{
    int me = (int)(long)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (turn != me && !stop)
            pthread_cond_wait(&cv[me], &mu);
        if (stop)
            break;
        handoffs++;
        turn = !me;
        pthread_cond_signal(&cv[!me]);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    alarm(30);
    double secs = micro_seconds();
    pthread_t th[2];
    uint64_t t0 = micro_now_ns();
    for (long i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, player, (void *)i) != 0)
            micro_die("pthread_create");
    struct timespec ts = { .tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&mu);
    stop = 1;
    uint64_t n = handoffs, t = micro_now_ns();
    pthread_cond_broadcast(&cv[0]);
    pthread_cond_broadcast(&cv[1]);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    if (n == 0)
        micro_die("no handoffs");
    micro_report("condvar_handoff", (double)(t - t0) / (double)n, "ns");
    return 0;
}

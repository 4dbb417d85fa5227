/* cond_pool.c: a worker pool on one mutex and condition variables, with timed waits.
 *
 * Pins down: jobs handed to workers through pthread_cond_* are each processed
 * exactly once (the sum and count of processed jobs are exact), whichever way
 * the workers wait:
 *   kind 0: pthread_cond_timedwait on a default cond, CLOCK_REALTIME deadline;
 *   kind 1: pthread_cond_timedwait on a cond whose condattr clock is
 *           CLOCK_MONOTONIC (pthread_condattr_setclock(3));
 *   kind 2: pthread_cond_clockwait(CLOCK_MONOTONIC) on the default cond, with a
 *           deadline longer than the ticker limit.
 * The producer pauses 400 ms between bursts, so the 100 ms waiters must see
 * ETIMEDOUT and the 1 s waiters park long enough for a blocked OS thread to
 * show in the ticker. pthread_cond_timedwait returns only 0 or ETIMEDOUT here
 * (pthread_cond_timedwait(3p)).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define WORKERS 6
#define BURSTS 4
#define PER_BURST 250
#define JOBS (BURSTS * PER_BURST)

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_rt = PTHREAD_COND_INITIALIZER;
static pthread_cond_t c_mono;
static int queue[JOBS];
static int q_head, q_tail;
static int shutting_down;
static long sum_done;
static int count_done;
static int timeouts[WORKERS];
static int bad_rc;

static int wait_one(int kind)
{
	struct timespec dl;
	switch (kind) {
	case 0:
		dl = deadline_ms(CLOCK_REALTIME, 100);
		return pthread_cond_timedwait(&c_rt, &m, &dl);
	case 1:
		dl = deadline_ms(CLOCK_MONOTONIC, 100);
		return pthread_cond_timedwait(&c_mono, &m, &dl);
	default:
		dl = deadline_ms(CLOCK_MONOTONIC, 1000);
		return pthread_cond_clockwait(&c_rt, &m, CLOCK_MONOTONIC, &dl);
	}
}

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	int kind = id % 3;
	pthread_mutex_lock(&m);
	for (;;) {
		while (q_head == q_tail && !shutting_down) {
			int rc = wait_one(kind);
			if (rc == ETIMEDOUT)
				timeouts[id]++;
			else if (rc != 0)
				bad_rc = rc;
		}
		if (q_head == q_tail)
			break;
		int job = queue[q_head++];
		pthread_mutex_unlock(&m);
		volatile long work = 0;
		for (int i = 0; i < 2000; i++)
			work += i ^ job;
		pthread_mutex_lock(&m);
		sum_done += job;
		count_done++;
	}
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	expect("condattr_setclock(MONOTONIC)", pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	clockid_t got_clock = -1;
	pthread_condattr_getclock(&ca, &got_clock);
	if (got_clock != CLOCK_MONOTONIC)
		FAIL("condattr_getclock returned %d", (int)got_clock);
	pthread_cond_init(&c_mono, &ca);
	pthread_condattr_destroy(&ca);

	pthread_t th[WORKERS];
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);

	int next = 1;
	for (int b = 0; b < BURSTS; b++) {
		sleep_ms(400);
		for (int j = 0; j < PER_BURST; j++) {
			pthread_mutex_lock(&m);
			queue[q_tail++] = next++;
			pthread_cond_signal(&c_rt);
			pthread_cond_signal(&c_mono);
			pthread_mutex_unlock(&m);
			if (j % 50 == 0)
				sched_yield();
		}
	}
	pthread_mutex_lock(&m);
	shutting_down = 1;
	pthread_cond_broadcast(&c_rt);
	pthread_cond_broadcast(&c_mono);
	pthread_mutex_unlock(&m);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);

	printf("jobs processed: %d\n", count_done);
	printf("sum of jobs: %ld\n", sum_done);
	if (count_done != JOBS)
		FAIL("processed %d jobs, expected %d", count_done, JOBS);
	if (sum_done != (long)JOBS * (JOBS + 1) / 2)
		FAIL("sum %ld, expected %ld", sum_done, (long)JOBS * (JOBS + 1) / 2);
	if (bad_rc)
		FAIL("a timed wait returned %s", ename(bad_rc));
	int all_short_timed_out = 1;
	for (int i = 0; i < WORKERS; i++) {
		fprintf(stderr, "worker %d (kind %d): %d timeouts\n", i, i % 3, timeouts[i]);
		if (i % 3 != 2 && timeouts[i] == 0)
			all_short_timed_out = 0;
	}
	printf("every 100 ms waiter saw ETIMEDOUT: %s\n", all_short_timed_out ? "yes" : "no");
	if (!all_short_timed_out)
		FAIL("a 100 ms waiter never timed out during 400 ms idle periods");
	pthread_cond_destroy(&c_mono);
	ticker_stop();
	return check_status();
}

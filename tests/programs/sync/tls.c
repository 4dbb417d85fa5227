/* tls.c: __thread variables are per thread.
 *
 * Every thread has its own copy of a __thread variable, initialised from the
 * program's image (C11 7.26.5, "thread storage duration"): an initialised
 * one (.tdata) starts at its initialiser, an uninitialised one (.tbss) at
 * zero, in every new thread. Under libgreen the threads share an OS thread,
 * so the copy must follow each green thread across its parks.
 *
 * Pins down:
 *   - 32 threads each count in their own __thread counter and fill their
 *     own __thread buffer while blocking in nanosleep, sched_yield and a
 *     mutex/condvar hand-off between rounds; each sees only its own values;
 *   - each new thread starts with the initial values, also after others
 *     ended (and their stacks were reused);
 *   - main's values are untouched by the other threads;
 *   - a pthread_key destructor of an ending thread (pthread_exit) sees that
 *     thread's own __thread values.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 32
#define ROUNDS 50

static __thread long t_count = 100;
static __thread unsigned char t_buf[512];

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long baton;

static int fresh_failures;
static int mixed_failures;

static int buf_is(unsigned char v)
{
	for (size_t i = 0; i < sizeof t_buf; i++)
		if (t_buf[i] != v)
			return 0;
	return 1;
}

static void check_fresh(void)
{
	if (t_count != 100 || !buf_is(0))
		__atomic_fetch_add(&fresh_failures, 1, __ATOMIC_RELAXED);
}

/* Wakes the threads waiting on the condvar, then waits on it itself for at
 * most a millisecond. */
static void hand_off(void)
{
	struct timespec until = deadline_ms(CLOCK_REALTIME, 1);
	pthread_mutex_lock(&mu);
	baton++;
	pthread_cond_broadcast(&cv);
	pthread_cond_timedwait(&cv, &mu, &until);
	pthread_mutex_unlock(&mu);
}

static void *counter(void *arg)
{
	long me = (long)arg;
	check_fresh();
	t_count = me * 1000;
	memset(t_buf, (int)me + 1, sizeof t_buf);
	for (int i = 0; i < ROUNDS; i++) {
		switch (i % 3) {
		case 0: sleep_ms(1); break;
		case 1: sched_yield(); break;
		default: hand_off(); break;
		}
		if (t_count != me * 1000 + i || !buf_is((unsigned char)(me + 1)))
			__atomic_fetch_add(&mixed_failures, 1, __ATOMIC_RELAXED);
		t_count++;
	}
	return (void *)t_count;
}

/* The key destructor runs on the ending thread: it records what that
 * thread's __thread counter holds then. */
static pthread_key_t key;
static long seen_by_destructor[4];

static void key_destructor(void *slot)
{
	*(long *)slot = t_count;
}

static void *exiter(void *arg)
{
	long me = (long)arg;
	t_count = 7000 + me;
	pthread_setspecific(key, &seen_by_destructor[me]);
	sleep_ms(2);
	pthread_exit(NULL);
}

int main(void)
{
	check_init(30);
	ticker_start();
	t_count = -5;

	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, counter, (void *)i);
	long sum = 0;
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		sum += (long)ret;
	}
	printf("counters: sum of final values %ld\n", sum);
	printf("threads that saw another thread's values: %d\n", mixed_failures);

	/* Late threads, on reused stacks, start fresh. */
	for (long i = 0; i < 4; i++) {
		pthread_create(&th[i], NULL, counter, (void *)i);
		pthread_join(th[i], NULL);
	}
	printf("threads that did not start with the initial values: %d\n", fresh_failures);
	printf("main's counter: %ld\n", t_count);

	pthread_key_create(&key, key_destructor);
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, exiter, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		printf("key destructor of thread %d saw %ld\n", i, seen_by_destructor[i]);

	if (mixed_failures || fresh_failures)
		FAIL("__thread values were shared between threads");
	if (t_count != -5)
		FAIL("main's __thread counter changed to %ld", t_count);
	ticker_stop();
	return check_status();
}

/* mutex_robust.c: robust mutexes whose owner thread exits while holding them.
 *
 * pthread_mutexattr_setrobust(3): when the owner of a PTHREAD_MUTEX_ROBUST
 * mutex terminates, the next locker gets EOWNERDEAD and owns the mutex; it
 * must call pthread_mutex_consistent() or the mutex becomes permanently
 * unusable (ENOTRECOVERABLE) after its unlock. glibc implements this by
 * walking the exiting thread's robust list in pthread_exit/start_thread (and
 * the kernel does it for a dying process). Pins down:
 *   - a thread returning while holding the mutex: lock gives EOWNERDEAD;
 *   - a waiter already blocked in pthread_mutex_lock (for longer than the
 *     ticker limit) when the owner calls pthread_exit: EOWNERDEAD;
 *   - consistent() then unlock: the mutex is usable again (lock gives 0);
 *   - unlock without consistent(): ENOTRECOVERABLE for every later lock;
 *   - trylock and timedlock also report EOWNERDEAD.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

static void *die_holding(void *arg)
{
	pthread_mutex_lock(arg);
	return NULL;
}

static void *die_holding_later(void *arg)
{
	pthread_mutex_lock(arg);
	sleep_ms(400);
	pthread_exit(NULL);
}

static void init_robust(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, type);
	expect("mutexattr_setrobust", pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

static void orphan(pthread_mutex_t *m)
{
	pthread_t t;
	pthread_create(&t, NULL, die_holding, m);
	pthread_join(t, NULL);
}

int main(void)
{
	check_init(30);
	ticker_start();
	static const int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_RECURSIVE };
	static const char *names[] = { "normal", "errorcheck", "recursive" };

	for (int k = 0; k < 3; k++) {
		pthread_mutex_t m;
		printf("-- robust %s\n", names[k]);
		init_robust(&m, types[k]);

		orphan(&m);
		expect("lock after owner returned", pthread_mutex_lock(&m), EOWNERDEAD);
		expect("consistent", pthread_mutex_consistent(&m), 0);
		expect("unlock", pthread_mutex_unlock(&m), 0);
		expect("lock after consistent", pthread_mutex_lock(&m), 0);
		expect("unlock", pthread_mutex_unlock(&m), 0);

		orphan(&m);
		expect("trylock after owner returned", pthread_mutex_trylock(&m), EOWNERDEAD);
		expect("consistent", pthread_mutex_consistent(&m), 0);
		expect("unlock", pthread_mutex_unlock(&m), 0);

		orphan(&m);
		struct timespec dl = deadline_ms(CLOCK_REALTIME, 1000);
		expect("timedlock after owner returned", pthread_mutex_timedlock(&m, &dl), EOWNERDEAD);
		expect("unlock without consistent", pthread_mutex_unlock(&m), 0);
		expect("lock of unrecoverable mutex", pthread_mutex_lock(&m), ENOTRECOVERABLE);
		expect("trylock of unrecoverable mutex", pthread_mutex_trylock(&m), ENOTRECOVERABLE);
		expect("destroy", pthread_mutex_destroy(&m), 0);
	}

	pthread_mutex_t m;
	printf("-- blocked waiter\n");
	init_robust(&m, PTHREAD_MUTEX_NORMAL);
	pthread_t t;
	pthread_create(&t, NULL, die_holding_later, &m);
	for (int i = 0; i < 1000 && pthread_mutex_trylock(&m) == 0; i++) {
		pthread_mutex_unlock(&m);
		sleep_ms(1);
	}
	long t0 = now_ns();
	expect("lock blocked while the owner exits", pthread_mutex_lock(&m), EOWNERDEAD);
	fprintf(stderr, "waited %ld ms\n", ms_since(t0));
	expect("consistent", pthread_mutex_consistent(&m), 0);
	expect("unlock", pthread_mutex_unlock(&m), 0);
	pthread_join(t, NULL);
	expect("lock after consistent", pthread_mutex_lock(&m), 0);
	expect("unlock", pthread_mutex_unlock(&m), 0);
	expect("destroy", pthread_mutex_destroy(&m), 0);

	ticker_stop();
	return check_status();
}

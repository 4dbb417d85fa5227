/* once.c: pthread_once under races, with an init routine that blocks.
 *
 * pthread_once(3p): the init routine runs exactly once however many threads
 * call pthread_once at the same moment, and no caller returns before it has
 * completed. Here 16 threads released together by a barrier race on each of
 * 20 once controls; the first control's routine sleeps 400 ms (callers that
 * lost the race wait inside pthread_once: under libgreen they must park, and
 * the routine's own sleep must park too), and some routines take a mutex.
 * Pins down: every routine ran once, every caller saw its effect.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 16
#define ONCES 20

static pthread_once_t onces[ONCES];
static int runs[ONCES];
static int done[ONCES];
static int not_done_seen;
static pthread_barrier_t start;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int current;

static void init_routine(void)
{
	int i = __atomic_load_n(&current, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&runs[i], 1, __ATOMIC_SEQ_CST);
	if (i == 0)
		sleep_ms(400);
	else if (i % 3 == 0)
		sched_yield();
	if (i % 2 == 0) {
		pthread_mutex_lock(&mu);
		done[i] = 1;
		pthread_mutex_unlock(&mu);
	} else {
		__atomic_store_n(&done[i], 1, __ATOMIC_SEQ_CST);
	}
}

/* Thread 0 names the round's control before releasing everyone. */
static void *racer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ONCES; i++) {
		if (id == 0)
			__atomic_store_n(&current, i, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&start);
		if (pthread_once(&onces[i], init_routine) != 0)
			FAIL("pthread_once failed");
		if (!__atomic_load_n(&done[i], __ATOMIC_SEQ_CST))
			__atomic_fetch_add(&not_done_seen, 1, __ATOMIC_SEQ_CST);
		pthread_barrier_wait(&start);
	}
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	for (int i = 0; i < ONCES; i++)
		onces[i] = (pthread_once_t)PTHREAD_ONCE_INIT;
	pthread_barrier_init(&start, NULL, THREADS);
	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, racer, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);

	int wrong = 0;
	for (int i = 0; i < ONCES; i++)
		if (runs[i] != 1)
			wrong++;
	printf("once controls: %d, whose routine ran exactly once: %d\n", ONCES, ONCES - wrong);
	printf("callers that returned before the routine finished: %d\n", not_done_seen);
	if (wrong)
		FAIL("%d init routines did not run exactly once", wrong);
	if (not_done_seen)
		FAIL("pthread_once returned before its routine completed");

	pthread_once_t again = PTHREAD_ONCE_INIT;
	__atomic_store_n(&current, 0, __ATOMIC_SEQ_CST);
	runs[0] = 0;
	pthread_once(&again, init_routine);
	pthread_once(&again, init_routine);
	printf("second pthread_once on a used control runs nothing: %s\n", runs[0] == 1 ? "yes" : "no");
	ticker_stop();
	return check_status();
}

/* barrier.c: pthread barriers over many rounds.
 *
 * pthread_barrier_wait(3p): when the required number of threads arrive, all
 * return, exactly one with PTHREAD_BARRIER_SERIAL_THREAD and the others with
 * 0, and the barrier resets for the next round. Pins down: one serial thread
 * per round, nobody leaves a round before everyone arrived (arrival counts
 * checked after the barrier), a count of 0 is EINVAL, and a round where one
 * thread arrives 400 ms late (the others must park, the ticker keeps going).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 8
#define ROUNDS 200

static pthread_barrier_t bar;
static int arrived[ROUNDS];
static int serial[ROUNDS];
static int early_leavers;
static int bad_rc;

static void *runner(void *arg)
{
	long id = (long)arg;
	for (int r = 0; r < ROUNDS; r++) {
		if (r == 3 && id == THREADS - 1)
			sleep_ms(400);
		__atomic_fetch_add(&arrived[r], 1, __ATOMIC_SEQ_CST);
		int rc = pthread_barrier_wait(&bar);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial[r], 1, __ATOMIC_SEQ_CST);
		else if (rc != 0)
			bad_rc = rc;
		if (__atomic_load_n(&arrived[r], __ATOMIC_SEQ_CST) != THREADS)
			__atomic_fetch_add(&early_leavers, 1, __ATOMIC_SEQ_CST);
		if ((r + id) % 7 == 0)
			sched_yield();
	}
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	pthread_barrier_t zero;
	expect("pthread_barrier_init count 0", pthread_barrier_init(&zero, NULL, 0), EINVAL);
	expect("pthread_barrier_init count 8", pthread_barrier_init(&bar, NULL, THREADS), 0);

	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, runner, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	int bad_rounds = 0;
	for (int r = 0; r < ROUNDS; r++)
		if (serial[r] != 1 || arrived[r] != THREADS)
			bad_rounds++;
	printf("rounds: %d, rounds with exactly one serial thread and all arrivals: %d\n", ROUNDS,
	       ROUNDS - bad_rounds);
	printf("threads that left a round early: %d\n", early_leavers);
	if (bad_rounds)
		FAIL("%d rounds had a serial-thread count other than 1", bad_rounds);
	if (early_leavers)
		FAIL("%d threads passed the barrier before all arrived", early_leavers);
	if (bad_rc)
		FAIL("pthread_barrier_wait returned %d", bad_rc);
	expect("pthread_barrier_destroy", pthread_barrier_destroy(&bar), 0);

	pthread_barrier_t one;
	pthread_barrier_init(&one, NULL, 1);
	int rc = pthread_barrier_wait(&one);
	printf("barrier of 1 returns PTHREAD_BARRIER_SERIAL_THREAD: %s\n",
	       rc == PTHREAD_BARRIER_SERIAL_THREAD ? "yes" : "no");
	pthread_barrier_destroy(&one);
	ticker_stop();
	return check_status();
}

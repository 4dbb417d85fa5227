/* yield.c: sched_yield ping-pong between threads that spin on shared flags.
 *
 * sched_yield(2) returns 0 and lets other runnable threads run. Two threads
 * take turns through an atomic "turn" variable, each spinning with
 * sched_yield until it is its turn; a third group of threads just yields in
 * a loop. Natively the kernel interleaves them; under libgreen the threads
 * share one OS thread, so each sched_yield must switch to another green
 * thread (and let the ticker run) or the spinners never progress. The exact
 * interleaving cannot be checked natively, so this pins down progress: exact
 * turn counts and every sched_yield returning 0, within the watchdog.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define TURNS 5000
#define YIELDERS 4
#define YIELDS 2000

static int turn;
static int turns_taken[2];
static int yield_errors;

static void *pinger(void *arg)
{
	int me = (int)(long)arg;
	for (int i = 0; i < TURNS; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
			if (sched_yield() != 0)
				__atomic_fetch_add(&yield_errors, 1, __ATOMIC_RELAXED);
		turns_taken[me]++;
		__atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < YIELDS; i++)
		if (sched_yield() != 0)
			__atomic_fetch_add(&yield_errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	pthread_t p[2], y[YIELDERS];
	for (long i = 0; i < 2; i++)
		pthread_create(&p[i], NULL, pinger, (void *)i);
	for (int i = 0; i < YIELDERS; i++)
		pthread_create(&y[i], NULL, yielder, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < YIELDERS; i++)
		pthread_join(y[i], NULL);
	printf("turns: %d + %d\n", turns_taken[0], turns_taken[1]);
	printf("sched_yield errors: %d\n", yield_errors);
	if (turns_taken[0] != TURNS || turns_taken[1] != TURNS)
		FAIL("turns %d/%d, expected %d each", turns_taken[0], turns_taken[1], TURNS);
	if (yield_errors)
		FAIL("sched_yield failed %d times", yield_errors);
	ticker_stop();
	return check_status();
}

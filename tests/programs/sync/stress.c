/* stress.c: 2000 threads with 64 KiB stacks contending on mutexes and conds.
 *
 * Every thread (stack size set with pthread_attr_setstacksize) waits at a
 * start gate (one pthread_cond_broadcast must wake all 2000), then does
 * bounded work: increments under one of 4 mutexes, and now and then takes a
 * unit from a counting resource of 8 built on a mutex + cond (waiting with
 * pthread_cond_wait while none is free, releasing with pthread_cond_signal),
 * and finally reports at a finish line the main thread waits on with a timed
 * wait. One extra thread does bounded CPU work in 1 ms chunks with
 * sched_yield between. Pins down exact totals: no lost increment, no lost
 * wake-up (a lost signal strands a thread and the finish-line wait times
 * out), never more than 8 units in use, every unit returned, the CPU
 * thread's result. Under libgreen these are 2000 green threads on one hub.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 2000
#define ITERS 200
#define UNITS 8
#define STACK (64 * 1024)

static pthread_mutex_t mu[4] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
				 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static long count[4];

static pthread_mutex_t res_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t res_cv = PTHREAD_COND_INITIALIZER;
static int avail = UNITS;
static int in_use, max_in_use, acquisitions;

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gate_arrived_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finish_cv = PTHREAD_COND_INITIALIZER;
static int waiting_at_gate, gate_open, finished;

static void acquire_unit(void)
{
	pthread_mutex_lock(&res_mu);
	while (avail == 0)
		pthread_cond_wait(&res_cv, &res_mu);
	avail--;
	in_use++;
	acquisitions++;
	if (in_use > max_in_use)
		max_in_use = in_use;
	pthread_mutex_unlock(&res_mu);
}

static void release_unit(void)
{
	pthread_mutex_lock(&res_mu);
	avail++;
	in_use--;
	pthread_cond_signal(&res_cv);
	pthread_mutex_unlock(&res_mu);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	pthread_mutex_lock(&gate_mu);
	if (++waiting_at_gate == THREADS)
		pthread_cond_signal(&gate_arrived_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);

	for (int j = 0; j < ITERS; j++) {
		int k = (int)((id + j) % 4);
		pthread_mutex_lock(&mu[k]);
		count[k]++;
		pthread_mutex_unlock(&mu[k]);
		if (j % 10 == 0) {
			acquire_unit();
			sched_yield();
			release_unit();
		}
	}

	pthread_mutex_lock(&gate_mu);
	if (++finished == THREADS)
		pthread_cond_signal(&finish_cv);
	pthread_mutex_unlock(&gate_mu);
	return NULL;
}

static unsigned long busy_result;

static void *busy(void *arg)
{
	(void)arg;
	unsigned long h = 1469598103934665603UL;
	for (int chunk = 0; chunk < 300; chunk++) {
		for (int i = 0; i < 200000; i++)
			h = (h ^ (unsigned long)(i + chunk)) * 1099511628211UL;
		sched_yield();
	}
	busy_result = h;
	return NULL;
}

int main(void)
{
	check_init(60);
	ticker_start();
	static pthread_t th[THREADS];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	expect("pthread_attr_setstacksize 64 KiB", pthread_attr_setstacksize(&attr, STACK), 0);
	int created = 0;
	for (long i = 0; i < THREADS; i++) {
		int rc = pthread_create(&th[i], &attr, worker, (void *)i);
		if (rc != 0) {
			FAIL("pthread_create #%ld: %s", i, ename(rc));
			break;
		}
		created++;
	}
	pthread_attr_destroy(&attr);
	printf("threads created: %d\n", created);
	if (created != THREADS)
		return 1;

	struct timespec dl = deadline_ms(CLOCK_REALTIME, 30000);
	int rc = 0;
	pthread_mutex_lock(&gate_mu);
	while (waiting_at_gate < THREADS && rc == 0)
		rc = pthread_cond_timedwait(&gate_arrived_cv, &gate_mu, &dl);
	expect("all threads at the start gate", rc, 0);
	long t0 = now_ns();
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);

	pthread_t b;
	pthread_create(&b, NULL, busy, NULL);

	dl = deadline_ms(CLOCK_MONOTONIC, 30000);
	rc = 0;
	pthread_mutex_lock(&gate_mu);
	while (finished < THREADS && rc == 0)
		rc = pthread_cond_clockwait(&finish_cv, &gate_mu, CLOCK_MONOTONIC, &dl);
	int fin = finished;
	pthread_mutex_unlock(&gate_mu);
	expect("finish-line wait", rc, 0);
	fprintf(stderr, "work took %ld ms\n", ms_since(t0));
	printf("threads finished: %d\n", fin);
	if (rc != 0)
		return 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(b, NULL);

	long total = 0;
	for (int k = 0; k < 4; k++) {
		printf("mutex %d count: %ld\n", k, count[k]);
		if (count[k] != (long)THREADS * ITERS / 4)
			FAIL("mutex %d count %ld, expected %ld", k, count[k], (long)THREADS * ITERS / 4);
		total += count[k];
	}
	printf("total increments: %ld\n", total);
	printf("unit acquisitions: %d, units free at the end: %d, never more than %d in use: %s\n",
	       acquisitions, avail, UNITS, max_in_use <= UNITS ? "yes" : "no");
	if (acquisitions != THREADS * (ITERS / 10) || avail != UNITS || max_in_use > UNITS)
		FAIL("resource accounting: %d acquisitions, %d free, max %d in use", acquisitions, avail, max_in_use);
	printf("busy thread result: %lx\n", busy_result);
	ticker_stop();
	return check_status();
}

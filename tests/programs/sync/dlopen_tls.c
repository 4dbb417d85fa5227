/* dlopen_tls.c: a dlopen()ed library with initial-exec TLS, in threads that
 * start after the dlopen and block between their uses of it.
 *
 * glibc puts such a library's TLS in the static TLS surplus of every thread
 * (dlopen(3), "initial-exec" TLS), initialised from its image in each new
 * thread. Pins down, for 6 threads that each add to the library's __thread
 * counter across nanosleep, sched_yield and a mutex/condvar hand-off:
 *   - each thread starts at the initial value 5 and sees only its own sums;
 *   - the counter's address differs between live threads;
 *   - main's own copy is untouched.
 * Usage: dlopen_tls PATH-TO-libietls.so
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 6
#define ROUNDS 30

static long (*bump)(long);
static long (*get)(void);
static char (*mark)(void);
static void *(*address)(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t all_started;
static long baton;
static uintptr_t addr[THREADS];
static int failures[THREADS];

static void pass_baton(long me)
{
	pthread_mutex_lock(&mu);
	while (baton % THREADS != me)
		pthread_cond_wait(&cv, &mu);
	baton++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void *worker(void *arg)
{
	long me = (long)arg;
	if (get() != 5 || mark() != 0)
		failures[me]++;
	addr[me] = (uintptr_t)address();
	pthread_barrier_wait(&all_started);
	long want = 5;
	for (int r = 0; r < ROUNDS; r++) {
		want = bump(me + 1);
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
		sched_yield();
		pass_baton(me);
		if (get() != want || mark() != (char)(me + 1))
			failures[me]++;
	}
	return (void *)want;
}

int main(int argc, char **argv)
{
	check_init(30);
	ticker_start();
	if (argc < 2)
		FAIL("usage: dlopen_tls PATH-TO-libietls.so");
	void *lib = dlopen(argv[1], RTLD_NOW);
	if (!lib)
		FAIL("dlopen: %s", dlerror());
	bump = (long (*)(long))dlsym(lib, "ie_bump");
	get = (long (*)(void))dlsym(lib, "ie_read");
	mark = (char (*)(void))dlsym(lib, "ie_mark");
	address = (void *(*)(void))dlsym(lib, "ie_address");
	if (!bump || !get || !mark || !address)
		FAIL("dlsym: %s", dlerror());
	bump(100);
	pthread_barrier_init(&all_started, NULL, THREADS);
	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	int bad = 0;
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		printf("thread %d: final counter %ld\n", i, (long)ret);
		bad += failures[i];
	}
	int distinct = 1;
	for (int i = 0; i < THREADS; i++)
		for (int j = i + 1; j < THREADS; j++)
			distinct &= addr[i] != addr[j];
	printf("counter addresses distinct: %s\n", distinct ? "yes" : "no");
	printf("main's counter: %ld\n", get());
	printf("checks that failed: %d\n", bad);
	if (bad || !distinct)
		FAIL("a thread saw another thread's initial-exec TLS");
	ticker_stop();
	return check_status();
}

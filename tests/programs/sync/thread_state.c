/* thread_state.c: what libc keeps per thread, in threads that block.
 *
 * A thread's errno, its __thread variables, its locale (uselocale) and the
 * ctype tables that follow it are its own (POSIX: errno is per thread,
 * uselocale "sets the current locale for the calling thread"; C11 7.26.5
 * thread storage). Under libgreen many threads share an OS thread, so each
 * must keep its own across every park, and a new one must start with the
 * state a new OS thread starts with.
 *
 * Pins down, in 8 threads that sleep, yield and hand a mutex/condvar baton
 * around between checks:
 *   - &errno and the address of a __thread variable differ between live
 *     threads (code uses them as thread identities: Rust's mpsc does);
 *   - errno set before a park is still there after it, in every thread;
 *   - printf("%.3f"), strtod, toupper and isdigit work in new threads
 *     (glibc points a new thread's ctype tables at its locale on start);
 *   - a thread that switched to the C.UTF-8 locale with uselocale keeps it
 *     across parks (MB_CUR_MAX 6) while the others stay in "C" (1);
 *   - sched_getcpu() answers a CPU number in every thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define THREADS 8
#define ROUNDS 20

static __thread int t_mark;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t all_started;
static long baton;
static uintptr_t errno_addr[THREADS];
static uintptr_t mark_addr[THREADS];
static int failures[THREADS];

static void park_a_little(long me)
{
	struct timespec ts = {0, 200000};
	nanosleep(&ts, NULL);
	sched_yield();
	pthread_mutex_lock(&mu);
	while (baton % THREADS != me)
		pthread_cond_wait(&cv, &mu);
	baton++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int check_numbers(void)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.3f|%e", 3.14159, 25.5);
	if (strcmp(buf, "3.142|2.550000e+01") != 0)
		return 1;
	if (strtod("2.5e3", NULL) != 2500.0)
		return 1;
	return toupper('q') != 'Q' || !isdigit('7') || isalpha('7');
}

static void *worker(void *arg)
{
	long me = (long)arg;
	locale_t utf8 = (locale_t)0;
	if (me % 2 == 1) {
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (utf8 == (locale_t)0)
			FAIL("newlocale(C.UTF-8): %s", strerror(errno));
		uselocale(utf8);
	}
	errno_addr[me] = (uintptr_t)&errno;
	mark_addr[me] = (uintptr_t)&t_mark;
	if (check_numbers())
		failures[me]++;
	if (sched_getcpu() < 0)
		failures[me]++;
	pthread_barrier_wait(&all_started);
	for (int r = 0; r < ROUNDS; r++) {
		t_mark = (int)me * 1000 + r;
		errno = 100 + (int)me;
		park_a_little(me);
		if (errno != 100 + (int)me || t_mark != (int)me * 1000 + r)
			failures[me]++;
		size_t want = me % 2 == 1 ? 6 : 1;
		if (MB_CUR_MAX != want || check_numbers())
			failures[me]++;
	}
	if (utf8 != (locale_t)0) {
		uselocale(LC_GLOBAL_LOCALE);
		freelocale(utf8);
	}
	return NULL;
}

static int distinct(const uintptr_t *a)
{
	for (int i = 0; i < THREADS; i++)
		for (int j = i + 1; j < THREADS; j++)
			if (a[i] == a[j])
				return 0;
	return 1;
}

int main(void)
{
	check_init(30);
	ticker_start();
	pthread_barrier_init(&all_started, NULL, THREADS);
	pthread_t th[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	int bad = 0;
	for (int i = 0; i < THREADS; i++)
		bad += failures[i];
	printf("errno addresses distinct: %s\n", distinct(errno_addr) ? "yes" : "no");
	printf("__thread addresses distinct: %s\n", distinct(mark_addr) ? "yes" : "no");
	printf("checks that failed (errno, __thread, locale, printf/ctype, cpu): %d\n", bad);
	printf("main still formats: %s\n", check_numbers() ? "no" : "yes");
	if (bad)
		FAIL("per-thread libc state was shared or lost");
	ticker_stop();
	return check_status();
}

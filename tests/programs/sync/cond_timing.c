/* cond_timing.c: condition-variable timed waits: return codes and precision.
 *
 * Return codes (pthread_cond_timedwait(3p), glibc 2.36): a deadline already
 * past (or negative tv_sec) gives ETIMEDOUT, tv_nsec >= 1e9 gives EINVAL,
 * pthread_cond_clockwait with a clock other than REALTIME/MONOTONIC gives
 * EINVAL, pthread_condattr_setclock accepts only those two; the mutex is
 * held again on return in every case.
 *
 * Precision: unsignalled waits of 1, 5, 20, 50 and 100 ms (five each) through
 * timedwait on a REALTIME cond, timedwait on a MONOTONIC-attr cond, and
 * clockwait(MONOTONIC). A wait must never return ETIMEDOUT before its
 * deadline on the deadline's clock (POSIX), and the median lateness per case
 * must stay under 50 ms. Timings go to stderr; stdout only says ok. A libgreen
 * on millisecond libuv timers alone would still pass the lateness bound but
 * an early wake-up (rounding down) fails. Finally a waiter with a 2 s
 * deadline is signalled after 350 ms and must return 0 well before it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdlib.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_rt = PTHREAD_COND_INITIALIZER;
static pthread_cond_t c_mono;

static void return_codes(void)
{
	struct timespec past = { 0, 0 }, neg = { -1, 0 }, bad;
	printf("-- return codes\n");
	pthread_mutex_lock(&m);
	expect("timedwait past deadline", pthread_cond_timedwait(&c_rt, &m, &past), ETIMEDOUT);
	expect("timedwait negative tv_sec", pthread_cond_timedwait(&c_rt, &m, &neg), ETIMEDOUT);
	bad = deadline_ms(CLOCK_REALTIME, 100);
	bad.tv_nsec = 1000000000;
	expect("timedwait tv_nsec=1e9", pthread_cond_timedwait(&c_rt, &m, &bad), EINVAL);
	bad.tv_nsec = -1;
	expect("timedwait tv_nsec=-1", pthread_cond_timedwait(&c_rt, &m, &bad), EINVAL);
	expect("monotonic cond timedwait past deadline", pthread_cond_timedwait(&c_mono, &m, &past), ETIMEDOUT);
	expect("clockwait MONOTONIC past deadline", pthread_cond_clockwait(&c_rt, &m, CLOCK_MONOTONIC, &past), ETIMEDOUT);
	expect("clockwait CPUTIME clock", pthread_cond_clockwait(&c_rt, &m, CLOCK_PROCESS_CPUTIME_ID, &past), EINVAL);
	expect("clockwait MONOTONIC_RAW clock", pthread_cond_clockwait(&c_rt, &m, CLOCK_MONOTONIC_RAW, &past), EINVAL);
	expect("mutex still held (trylock)", pthread_mutex_trylock(&m), EBUSY);
	pthread_mutex_unlock(&m);

	pthread_condattr_t a;
	pthread_condattr_init(&a);
	expect("condattr_setclock CPUTIME", pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
	expect("condattr_setclock BOOTTIME", pthread_condattr_setclock(&a, CLOCK_BOOTTIME), EINVAL);
	expect("condattr_setclock REALTIME", pthread_condattr_setclock(&a, CLOCK_REALTIME), 0);
	pthread_condattr_destroy(&a);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

enum how { TIMED_RT, TIMED_MONO_ATTR, CLOCKWAIT_MONO };

static void precision(enum how how, const char *name)
{
	static const long delays_ms[] = { 1, 5, 20, 50, 100 };
	clockid_t clk = how == TIMED_RT ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	int early = 0, late_cases = 0, bad_rc = 0;
	for (unsigned d = 0; d < sizeof delays_ms / sizeof delays_ms[0]; d++) {
		long late_us[5];
		for (int rep = 0; rep < 5; rep++) {
			pthread_mutex_lock(&m);
			struct timespec dl = deadline_ms(clk, delays_ms[d]);
			int rc;
			do {
				if (how == TIMED_RT)
					rc = pthread_cond_timedwait(&c_rt, &m, &dl);
				else if (how == TIMED_MONO_ATTR)
					rc = pthread_cond_timedwait(&c_mono, &m, &dl);
				else
					rc = pthread_cond_clockwait(&c_rt, &m, CLOCK_MONOTONIC, &dl);
			} while (rc == 0);
			long woke = clock_ns(clk);
			pthread_mutex_unlock(&m);
			if (rc != ETIMEDOUT)
				bad_rc = rc;
			long late = woke - ts_to_ns(&dl);
			if (late < 0)
				early++;
			late_us[rep] = late / 1000;
		}
		qsort(late_us, 5, sizeof late_us[0], cmp_long);
		fprintf(stderr, "%s %ld ms: lateness min %ld us, median %ld us, max %ld us\n", name,
			delays_ms[d], late_us[0], late_us[2], late_us[4]);
		if (late_us[2] > 50000)
			late_cases++;
	}
	printf("%s: %s\n", name, early || late_cases || bad_rc ? "bad" : "ok");
	if (bad_rc)
		FAIL("%s: returned %s instead of ETIMEDOUT", name, ename(bad_rc));
	if (early)
		FAIL("%s: %d waits returned before the deadline", name, early);
	if (late_cases)
		FAIL_TIMING("%s: %d delays had a median lateness over 50 ms", name, late_cases);
}

static void *signaller(void *arg)
{
	(void)arg;
	sleep_ms(350);
	pthread_mutex_lock(&m);
	pthread_cond_signal(&c_mono);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void signalled_early(void)
{
	pthread_t t;
	pthread_mutex_lock(&m);
	pthread_create(&t, NULL, signaller, NULL);
	struct timespec dl = deadline_ms(CLOCK_MONOTONIC, 2000);
	int rc = pthread_cond_timedwait(&c_mono, &m, &dl);
	long left_ms = (ts_to_ns(&dl) - now_ns()) / 1000000L;
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	expect("2 s wait signalled after 350 ms", rc, 0);
	fprintf(stderr, "signalled wait returned %ld ms before its deadline\n", left_ms);
	if (rc == 0 && left_ms < 1000)
		FAIL_TIMING("signalled wait returned only %ld ms before its deadline", left_ms);
}

int main(void)
{
	check_init(30);
	ticker_start();
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c_mono, &a);
	pthread_condattr_destroy(&a);

	return_codes();
	printf("-- precision\n");
	precision(TIMED_RT, "timedwait REALTIME");
	precision(TIMED_MONO_ATTR, "timedwait MONOTONIC condattr");
	precision(CLOCKWAIT_MONO, "clockwait MONOTONIC");
	signalled_early();
	pthread_cond_destroy(&c_mono);
	ticker_stop();
	return check_status();
}

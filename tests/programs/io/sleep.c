/* sleep.c: sleep precision of nanosleep, usleep, clock_nanosleep and sleep.
 *
 * Pins down: no sleep returns before the requested time (nanosleep(2):
 * "suspends ... until at least the time specified"; for TIMER_ABSTIME the
 * clock has reached the deadline), each returns 0, and the oversleep is
 * small: a 100 µs sleep must not become a millisecond-grained timer sleep
 * (DESIGN: "a 50 µs nanosleep must not take 1 ms"). Median oversleeps go to
 * stderr; the program fails only when they are grossly wrong. Then 200
 * threads sleep concurrently to a common deadline and all must wake on time.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

enum kind { NANOSLEEP, USLEEP, CLOCK_REL_MONO, CLOCK_ABS_MONO, CLOCK_REL_REAL, CLOCK_ABS_REAL };
static const char *kind_name[] = { "nanosleep", "usleep", "clock_nanosleep rel MONOTONIC",
				   "clock_nanosleep abs MONOTONIC", "clock_nanosleep rel REALTIME",
				   "clock_nanosleep abs REALTIME" };

/* Sleeps req_ns one way; returns the oversleep in ns, or -1 and prints FAIL. */
static long one_sleep(enum kind k, long req_ns, int *bad_rc)
{
	clockid_t c = (k == CLOCK_REL_REAL || k == CLOCK_ABS_REAL) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	long start = clock_ns(c);
	struct timespec ts = ts_from_ns(req_ns);
	struct timespec abs = ts_from_ns(start + req_ns);
	int rc = 0;
	switch (k) {
	case NANOSLEEP:
		rc = nanosleep(&ts, NULL);
		break;
	case USLEEP:
		rc = usleep((useconds_t)(req_ns / 1000));
		break;
	case CLOCK_REL_MONO:
	case CLOCK_REL_REAL:
		rc = clock_nanosleep(c, 0, &ts, NULL);
		break;
	case CLOCK_ABS_MONO:
	case CLOCK_ABS_REAL:
		rc = clock_nanosleep(c, TIMER_ABSTIME, &abs, NULL);
		break;
	}
	long slept = clock_ns(c) - start;
	if (rc != 0)
		*bad_rc = rc;
	return slept - req_ns;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static void measure(enum kind k, long req_ns, int reps, long max_median_ns)
{
	long over[64];
	int bad_rc = 0, early = 0;
	for (int i = 0; i < reps; i++) {
		over[i] = one_sleep(k, req_ns, &bad_rc);
		if (over[i] < 0)
			early++;
	}
	qsort(over, (size_t)reps, sizeof over[0], cmp_long);
	long median = over[reps / 2];
	fprintf(stderr, "%-32s %8ld us: median oversleep %6ld us, max %6ld us\n", kind_name[k],
		req_ns / 1000, median / 1000, over[reps - 1] / 1000);
	printf("%s %ld us: rc %s, early wake-ups %d, median ok: %s\n", kind_name[k], req_ns / 1000,
	       bad_rc ? "nonzero" : "0", early, median <= max_median_ns ? "yes" : "no");
	CHECK(!bad_rc, "%s returned %d", kind_name[k], bad_rc);
	CHECK(!early, "%s %ld us woke early %d times", kind_name[k], req_ns / 1000, early);
	CHECK(median <= max_median_ns, "%s %ld us: median oversleep %ld us > %ld us", kind_name[k],
	      req_ns / 1000, median / 1000, max_median_ns / 1000);
}

#define THREADS 200
static long deadline_ns;
static long lateness[THREADS];

static void *sleeper(void *arg)
{
	int i = (int)(long)arg;
	long rel = deadline_ns - now_ns();
	int rc;
	if (i % 3 == 0) {
		struct timespec abs = ts_from_ns(deadline_ns);
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
	} else if (i % 3 == 1) {
		struct timespec ts = ts_from_ns(rel > 0 ? rel : 0);
		rc = nanosleep(&ts, NULL);
	} else {
		rc = usleep((useconds_t)(rel > 0 ? rel / 1000 : 0));
	}
	lateness[i] = now_ns() - deadline_ns;
	if (rc != 0)
		tfail("sleeper %d: rc %d", i, rc);
	return NULL;
}

static void many_sleepers(void)
{
	pthread_t t[THREADS];
	deadline_ns = now_ns() + 600 * 1000000L;
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, sleeper, (void *)(long)i) != 0)
			FAIL("pthread_create %d", i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	tfail_flush();
	long worst = lateness[0], best = lateness[0];
	for (int i = 0; i < THREADS; i++) {
		if (lateness[i] > worst)
			worst = lateness[i];
		if (lateness[i] < best)
			best = lateness[i];
	}
	fprintf(stderr, "%d sleepers: lateness %ld .. %ld us\n", THREADS, best / 1000, worst / 1000);
	/* usleep truncates to whole µs, so allow 1 µs early there. */
	printf("%d concurrent sleepers: none early: %s, all within 100 ms: %s\n", THREADS,
	       best >= -1000 ? "yes" : "no", worst < 100 * 1000000L ? "yes" : "no");
	CHECK(best >= -1000, "a sleeper woke %ld us early", -best / 1000);
	CHECK_TIMING(worst < 100 * 1000000L, "a sleeper woke %ld ms late", worst / 1000000);
}

int main(void)
{
	alarm(30);
	ticker_start();
	for (int k = NANOSLEEP; k <= CLOCK_ABS_REAL; k++) {
		measure(k, 100 * 1000L, 41, 2 * 1000000L);
		measure(k, 1000 * 1000L, 21, 3 * 1000000L);
		measure(k, 50 * 1000000L, 3, 20 * 1000000L);
	}

	struct timespec rem = { 7, 7 };
	struct timespec ts = { 0, 1000000 };
	EXPECT_RC("nanosleep 1 ms with rem", nanosleep(&ts, &rem), 0);
	printf("rem untouched on success: %s\n", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");
	EXPECT_RC("usleep 0", usleep(0), 0);
	ts = (struct timespec){ 0, 0 };
	EXPECT_RC("nanosleep 0", nanosleep(&ts, NULL), 0);
	struct timespec past = { 0, 1 };
	EXPECT_RC("clock_nanosleep abs in the past", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);

	long t0 = now_ns();
	EXPECT_RC("sleep(1)", sleep(1), 0);
	long ms = ms_since(t0);
	fprintf(stderr, "sleep(1): %ld ms\n", ms);
	CHECK(ms >= 1000, "sleep(1) took %ld ms", ms);
	CHECK_TIMING(ms < 1500, "sleep(1) took %ld ms", ms);

	many_sleepers();
	ticker_stop();
	return finish("io_sleep");
}

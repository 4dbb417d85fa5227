/* clock.h: time helpers for the differential test programs under tests/programs.
 *
 * Used by the io/, sync/ and daemon/ programs and by ticker.h (header-only; C gnu11
 * and C++20). Measured times are run-dependent: print them on stderr, and put only
 * the verdict of a comparison ("waited: yes") on stdout.
 *
 * now_ns()/now_ms() and ms_since() are on CLOCK_MONOTONIC; clock_ns(),
 * deadline_ms() take the clock explicitly (for timed waits on REALTIME and
 * MONOTONIC). sleep_ms() sleeps the whole time even across signal handlers.
 */
#ifndef TESTS_CLOCK_H
#define TESTS_CLOCK_H

#include <errno.h>
#include <time.h>

static inline long clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static inline long now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline long now_ms(void)
{
	return now_ns() / 1000000L;
}

/* Milliseconds since t0_ns, a now_ns() value. */
static inline long ms_since(long t0_ns)
{
	return (now_ns() - t0_ns) / 1000000L;
}

static inline struct timespec ts_from_ns(long ns)
{
	struct timespec ts;
	ts.tv_sec = ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	return ts;
}

static inline long ts_to_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000L + ts->tv_nsec;
}

/* An absolute deadline ms milliseconds from now on clock clk. */
static inline struct timespec deadline_ms(clockid_t clk, long ms)
{
	return ts_from_ns(clock_ns(clk) + ms * 1000000L);
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = ts_from_ns(ms * 1000000L);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

#endif

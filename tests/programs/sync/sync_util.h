/* sync_util.h: helpers shared by the C and C++ sync test programs.
 *
 * - sync_init(): line-buffered stdout (so a killed run still shows how far it
 *   got) and an alarm() watchdog whose handler prints a FAIL line and exits 1:
 *   a hang must fail, and must not make both runs agree on "killed by SIGALRM".
 * - ename(): an errno value by name (EAGAIN, ...), "0" for success.
 * - expect(): print "label: NAME" and a FAIL line when it is not the expected
 *   code. Call it from one thread at a time so stdout order is deterministic.
 * - time helpers on an explicit clock.
 * Usable from C (gnu11) and C++20; header-only.
 */
#ifndef SYNC_UTIL_H
#define SYNC_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sync_failures;

static void sync_alarm_handler(int sig)
{
	static const char msg[] = "FAIL: watchdog alarm: the program hung\n";
	(void)sig;
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(1);
}

static inline void sync_init(unsigned watchdog_seconds)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, sync_alarm_handler);
	alarm(watchdog_seconds);
}

static inline const char *ename(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

__attribute__((format(printf, 1, 2)))
static inline void fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	printf("FAIL: %s\n", buf);
	__atomic_fetch_add(&sync_failures, 1, __ATOMIC_SEQ_CST);
}

static inline void expect(const char *label, int got, int want)
{
	printf("%s: %s\n", label, ename(got));
	if (got != want)
		fail("%s: got %s, expected %s", label, ename(got), ename(want));
}

/* For calls that return -1 and set errno: the errno, or 0 on success. */
static inline int err_of(int rc)
{
	return rc == 0 ? 0 : errno;
}

static inline long now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
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
	return ts_from_ns(now_ns(clk) + ms * 1000000L);
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = ts_from_ns(ms * 1000000L);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline int sync_exit_status(void)
{
	return __atomic_load_n(&sync_failures, __ATOMIC_SEQ_CST) ? 1 : 0;
}

#endif

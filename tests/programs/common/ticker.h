/* ticker.h: proves a test program's OS thread was never blocked.
 *
 * Used by most io/, sync/ and daemon/ programs (header-only; C gnu11 and C++20;
 * the program must link with -pthread). A background thread sleeps 10 ms at a
 * time and records the longest gap between wake-ups. Natively it is its own OS
 * thread and never stalls. Under libgreen it is a green thread on the same hub
 * as the rest of the program: if any thread blocked the OS thread in the kernel
 * (instead of parking), the ticker's gap grows to the length of that block.
 *
 * Usage: ticker_start() early in main; ticker_stop() before exit prints
 * "ticker: ok" on stdout, or fails (check.h: a FAIL line, counted by
 * check_status()) when the longest gap exceeds TICKER_MAX_MS (default 300;
 * the environment variable of the same name overrides). The gap itself goes to
 * stderr. Tests that check it make their blocking waits longer than that
 * threshold.
 */
#ifndef TESTS_TICKER_H
#define TESTS_TICKER_H

#include "check.h"
#include "clock.h"

#include <pthread.h>

static int ticker_stop_flag;
static long ticker_max_gap_ns;
static pthread_t ticker_thread;

static inline void *ticker_main(void *arg)
{
	(void)arg;
	long last = now_ns();
	while (!__atomic_load_n(&ticker_stop_flag, __ATOMIC_SEQ_CST)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		long now = now_ns();
		long gap = now - last;
		if (gap > __atomic_load_n(&ticker_max_gap_ns, __ATOMIC_SEQ_CST))
			__atomic_store_n(&ticker_max_gap_ns, gap, __ATOMIC_SEQ_CST);
		last = now;
	}
	return NULL;
}

static inline void ticker_start(void)
{
	__atomic_store_n(&ticker_stop_flag, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&ticker_max_gap_ns, 0, __ATOMIC_SEQ_CST);
	pthread_create(&ticker_thread, NULL, ticker_main, NULL);
}

/* Returns 0 when the ticker never stalled, 1 (a failed check) otherwise. */
static inline int ticker_stop(void)
{
	__atomic_store_n(&ticker_stop_flag, 1, __ATOMIC_SEQ_CST);
	pthread_join(ticker_thread, NULL);
	const char *env = getenv("TICKER_MAX_MS");
	long limit_ms = env ? atol(env) : 300;
	long gap_ms = __atomic_load_n(&ticker_max_gap_ns, __ATOMIC_SEQ_CST) / 1000000L;
	fprintf(stderr, "ticker: longest gap %ld ms\n", gap_ms);
	if (gap_ms > limit_ms) {
		FAIL_TIMING("ticker stalled %ld ms (limit %ld ms): the OS thread blocked", gap_ms, limit_ms);
		return 1;
	}
	printf("ticker: ok\n");
	return 0;
}

#endif

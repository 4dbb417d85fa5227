/* ticker.h: proves a test program's OS thread was never blocked.
 *
 * A background thread sleeps 10 ms at a time and records the longest gap
 * between wake-ups. Natively it is its own OS thread and never stalls. Under
 * libgreen it is a green thread on the same hub as the rest of the program:
 * if any thread blocked the OS thread in the kernel (instead of parking),
 * the ticker's gap grows to the length of that block.
 *
 * Usage: ticker_start() early in main; ticker_stop() before exit prints
 * "ticker: ok" on stdout, or "FAIL: ticker stalled ..." when the longest gap
 * exceeds TICKER_MAX_MS (default 300; the environment variable of the same
 * name overrides). Tests that check it make their blocking waits longer than
 * that threshold. Header-only; the program must link with -pthread.
 */
#ifndef TICKER_H
#define TICKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_int ticker_stop_flag;
static atomic_long ticker_max_gap_ns;
static pthread_t ticker_thread;

static long ticker_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *ticker_main(void *arg)
{
	(void)arg;
	long last = ticker_now_ns();
	while (!atomic_load(&ticker_stop_flag)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		long now = ticker_now_ns();
		long gap = now - last;
		if (gap > atomic_load(&ticker_max_gap_ns))
			atomic_store(&ticker_max_gap_ns, gap);
		last = now;
	}
	return NULL;
}

static void ticker_start(void)
{
	atomic_store(&ticker_stop_flag, 0);
	atomic_store(&ticker_max_gap_ns, 0);
	pthread_create(&ticker_thread, NULL, ticker_main, NULL);
}

/* Returns 0 when the ticker never stalled, 1 otherwise. */
static int ticker_stop(void)
{
	atomic_store(&ticker_stop_flag, 1);
	pthread_join(ticker_thread, NULL);
	const char *env = getenv("TICKER_MAX_MS");
	long limit_ms = env ? atol(env) : 300;
	long gap_ms = atomic_load(&ticker_max_gap_ns) / 1000000L;
	fprintf(stderr, "ticker: longest gap %ld ms\n", gap_ms);
	if (gap_ms > limit_ms) {
		printf("FAIL: ticker stalled %ld ms (limit %ld ms): the OS thread blocked\n",
		       gap_ms, limit_ms);
		return 1;
	}
	printf("ticker: ok\n");
	return 0;
}

#endif

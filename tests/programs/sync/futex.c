/* futex.c: raw futex(2) between threads, as C++ and Rust runtimes use it.
 *
 * std::atomic::wait, std::counting_semaphore and Rust's Mutex/Condvar/park
 * call syscall(SYS_futex, ...) directly, so under libgreen the syscall()
 * wrapper must park a green thread instead of blocking the OS thread.
 * Pins down (futex(2)):
 *   - FUTEX_WAIT when *uaddr != val: EAGAIN (private and shared);
 *   - FUTEX_WAIT with a relative timeout, FUTEX_WAIT_BITSET with an absolute
 *     CLOCK_MONOTONIC deadline, and with FUTEX_CLOCK_REALTIME: ETIMEDOUT after
 *     really waiting; a timeout with tv_nsec >= 1e9: EINVAL; bitset 0: EINVAL;
 *   - FUTEX_WAKE returns the number woken: 0 with no waiters, 1 for a thread
 *     blocked 400 ms (longer than the ticker limit), 2 then 3 of 5 waiters;
 *   - FUTEX_WAKE_BITSET wakes only waiters whose bitset intersects;
 *   - a shared-futex waiter (no FUTEX_PRIVATE_FLAG) is woken by a shared
 *     wake, and a private wake does not find it (the kernel keys private and
 *     shared futexes differently), so it needs a shared wake after all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

/* For waits: the errno of a failed call, 0 on success. */
static int res(long rc)
{
	return rc < 0 ? errno : 0;
}

/* For wakes: the number woken, printed as a number; an error by name. */
static void expect_woken(const char *label, long rc, int want)
{
	if (rc < 0) {
		printf("%s: %s\n", label, ename(errno));
		FAIL("%s: %s, expected %d woken", label, ename(errno), want);
		return;
	}
	printf("%s: %ld\n", label, rc);
	if (rc != want)
		FAIL("%s: woke %ld, expected %d", label, rc, want);
}

static void expect_timeout(const char *label, long rc, long t0)
{
	long waited = ms_since(t0);
	expect(label, res(rc), ETIMEDOUT);
	if (waited < 45)
		FAIL("%s: timed out after %ld ms", label, waited);
}

static void immediate(void)
{
	int word = 0;
	struct timespec rel = { 0, 50 * 1000 * 1000 };
	struct timespec dl;
	long t0;
	printf("-- no waker\n");
	expect("WAIT_PRIVATE on a different value", res(futex(&word, FUTEX_WAIT_PRIVATE, 1, NULL, 0)), EAGAIN);
	expect("WAIT (shared) on a different value", res(futex(&word, FUTEX_WAIT, 1, NULL, 0)), EAGAIN);
	t0 = now_ns();
	expect_timeout("WAIT_PRIVATE 50 ms relative", futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, 0), t0);
	t0 = now_ns();
	expect_timeout("WAIT (shared) 50 ms relative", futex(&word, FUTEX_WAIT, 0, &rel, 0), t0);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_MONOTONIC, 50);
	expect_timeout("WAIT_BITSET_PRIVATE MONOTONIC deadline",
		       futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &dl, FUTEX_BITSET_MATCH_ANY), t0);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_REALTIME, 50);
	expect_timeout("WAIT_BITSET_PRIVATE|CLOCK_REALTIME deadline",
		       futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &dl, FUTEX_BITSET_MATCH_ANY), t0);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_MONOTONIC, 50);
	expect_timeout("WAIT_BITSET (shared) MONOTONIC deadline",
		       futex(&word, FUTEX_WAIT_BITSET, 0, &dl, FUTEX_BITSET_MATCH_ANY), t0);
	dl.tv_sec = 0;
	dl.tv_nsec = 0;
	expect("WAIT_BITSET_PRIVATE past deadline",
	       res(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &dl, FUTEX_BITSET_MATCH_ANY)), ETIMEDOUT);
	struct timespec bad = { 0, 1000000000 };
	expect("WAIT_PRIVATE tv_nsec=1e9", res(futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, 0)), EINVAL);
	expect("WAIT_BITSET_PRIVATE bitset 0", res(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, 0)), EINVAL);
	expect_woken("WAKE_PRIVATE with no waiters", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0), 0);
	expect_woken("WAKE (shared) with no waiters", futex(&word, FUTEX_WAKE, INT_MAX, NULL, 0), 0);
}

struct waiter {
	int *word;
	int op;
	int bitset;
	int rc;
	int returned;
};

static int entering;

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	__atomic_fetch_add(&entering, 1, __ATOMIC_SEQ_CST);
	w->rc = res(futex(w->word, w->op, 0, NULL, w->bitset));
	__atomic_store_n(&w->returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start n waiters and give them time to be asleep in the kernel. */
static void start_waiters(pthread_t *t, struct waiter *w, int n, long settle_ms)
{
	__atomic_store_n(&entering, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, wait_main, &w[i]);
	for (int i = 0; i < 5000 && __atomic_load_n(&entering, __ATOMIC_SEQ_CST) < n; i++)
		sleep_ms(1);
	sleep_ms(settle_ms);
}

static int count_returned(struct waiter *w, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += __atomic_load_n(&w[i].returned, __ATOMIC_SEQ_CST);
	return c;
}

static void with_waiters(void)
{
	int word = 0;
	pthread_t t[5];
	struct waiter w[5];
	printf("-- one waiter blocked 400 ms\n");
	w[0] = (struct waiter){ &word, FUTEX_WAIT_PRIVATE, 0, -1, 0 };
	start_waiters(t, w, 1, 400);
	__atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
	expect_woken("WAKE_PRIVATE count", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0), 1);
	pthread_join(t[0], NULL);
	expect("woken waiter's WAIT result", w[0].rc, 0);

	printf("-- five waiters\n");
	word = 0;
	for (int i = 0; i < 5; i++)
		w[i] = (struct waiter){ &word, FUTEX_WAIT_PRIVATE, 0, -1, 0 };
	start_waiters(t, w, 5, 150);
	expect_woken("WAKE_PRIVATE 2 of 5", futex(&word, FUTEX_WAKE_PRIVATE, 2, NULL, 0), 2);
	sleep_ms(100);
	printf("returned after waking 2: %d\n", count_returned(w, 5));
	expect_woken("WAKE_PRIVATE INT_MAX", futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, 0), 3);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	printf("returned after waking all: %d\n", count_returned(w, 5));

	printf("-- bitsets\n");
	word = 0;
	w[0] = (struct waiter){ &word, FUTEX_WAIT_BITSET_PRIVATE, 0x1, -1, 0 };
	w[1] = (struct waiter){ &word, FUTEX_WAIT_BITSET_PRIVATE, 0x2, -1, 0 };
	w[2] = (struct waiter){ &word, FUTEX_WAIT_BITSET_PRIVATE, 0x3, -1, 0 };
	start_waiters(t, w, 3, 150);
	expect_woken("WAKE_BITSET_PRIVATE 0x4", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, 0x4), 0);
	expect_woken("WAKE_BITSET_PRIVATE 0x2", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, 0x2), 2);
	sleep_ms(100);
	printf("returned: bitset 0x1 %d, 0x2 %d, 0x3 %d\n", w[0].returned, w[1].returned, w[2].returned);
	expect_woken("WAKE_BITSET_PRIVATE 0x1", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, 0x1), 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	printf("-- shared futex between threads\n");
	word = 0;
	w[0] = (struct waiter){ &word, FUTEX_WAIT, 0, -1, 0 };
	start_waiters(t, w, 1, 150);
	expect_woken("private WAKE of a shared waiter", futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, 0), 0);
	sleep_ms(50);
	printf("shared waiter returned after the private wake: %d\n", w[0].returned);
	expect_woken("shared WAKE of a shared waiter", futex(&word, FUTEX_WAKE, INT_MAX, NULL, 0), 1);
	pthread_join(t[0], NULL);
	expect("shared waiter's WAIT result", w[0].rc, 0);
}

int main(void)
{
	check_init(30);
	ticker_start();
	immediate();
	with_waiters();
	ticker_stop();
	return check_status();
}

/* pthread_join.c: thread creation, joining and detaching.
 *
 * Pins down: pthread_join returns the thread's return value or the value
 * passed to pthread_exit (cleanup handlers run on pthread_exit, in reverse
 * order); pthread_tryjoin_np returns EBUSY while the thread runs and 0 once
 * it ended; pthread_timedjoin_np (CLOCK_REALTIME deadline) and
 * pthread_clockjoin_np (CLOCK_MONOTONIC) return ETIMEDOUT at the deadline;
 * pthread_detach on a running thread returns 0 and the thread still runs to
 * completion; PTHREAD_CREATE_DETACHED threads run; pthread_self() inside a
 * thread equals the id pthread_create returned (pthread_equal), and differs
 * from main's. Under libgreen these threads are green threads and every one
 * of these results must be the same.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <stdatomic.h>

static void *ret_arg(void *arg)
{
	return arg;
}

static atomic_int cleanup_order[3];
static atomic_int cleanup_n;

static void cleanup(void *arg)
{
	int n = atomic_fetch_add(&cleanup_n, 1);
	if (n < 3)
		atomic_store(&cleanup_order[n], (int)(long)arg);
}

static __attribute__((noinline)) void exit_inner(void)
{
	pthread_exit((void *)42);
}

static __attribute__((noinline)) void exit_outer(void)
{
	exit_inner();
}

static void *exiter(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)1);
	pthread_cleanup_push(cleanup, (void *)2);
	pthread_cleanup_push(cleanup, (void *)3);
	exit_outer();
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void *sleep_then_return(void *arg)
{
	sleep_ms((long)arg);
	return (void *)7;
}

static pthread_t seen_self[4];
static atomic_int detached_done;

static void *record_self(void *arg)
{
	seen_self[(long)arg] = pthread_self();
	return NULL;
}

static void *detached_main(void *arg)
{
	sleep_ms((long)arg);
	atomic_fetch_add(&detached_done, 1);
	return NULL;
}

int main(void)
{
	alarm(30);
	ticker_start();
	void *ret;
	pthread_t t;

	pthread_create(&t, NULL, ret_arg, (void *)1234);
	EXPECT_RC("pthread_join", pthread_join(t, &ret), 0);
	printf("return value: %ld\n", (long)ret);

	pthread_create(&t, NULL, exiter, NULL);
	pthread_join(t, &ret);
	printf("pthread_exit value: %ld\n", (long)ret);
	printf("cleanup handlers: %d, order %d %d %d\n", atomic_load(&cleanup_n), atomic_load(&cleanup_order[0]),
	       atomic_load(&cleanup_order[1]), atomic_load(&cleanup_order[2]));

	/* tryjoin: EBUSY while running. */
	pthread_create(&t, NULL, sleep_then_return, (void *)400);
	printf("tryjoin while running: %s\n", ename(pthread_tryjoin_np(t, &ret)));
	int rc = EBUSY;
	for (int i = 0; i < 300 && rc == EBUSY; i++) {
		sleep_ms(10);
		rc = pthread_tryjoin_np(t, &ret);
	}
	printf("tryjoin after it ended: %s, value %ld\n", ename(rc), (long)ret);

	/* timedjoin: ETIMEDOUT at the deadline, then a real join. */
	pthread_create(&t, NULL, sleep_then_return, (void *)800);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 300 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	long t0 = now_ns();
	rc = pthread_timedjoin_np(t, &ret, &dl);
	long ms = ms_since(t0);
	fprintf(stderr, "timedjoin: %ld ms\n", ms);
	printf("timedjoin 300 ms on an 800 ms thread: %s\n", ename(rc));
	CHECK(ms >= 290 && ms < 700, "timedjoin returned after %ld ms", ms);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 100 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	printf("clockjoin MONOTONIC 100 ms: %s\n", ename(pthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &dl)));
	dl.tv_sec += 10;
	rc = pthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &dl);
	printf("clockjoin with a later deadline: %s, value %ld\n", ename(rc), (long)ret);

	/* pthread_self / pthread_equal. */
	pthread_t ids[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&ids[i], NULL, record_self, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(ids[i], NULL);
	int same = 0, differs_from_main = 0;
	for (int i = 0; i < 4; i++) {
		same += pthread_equal(ids[i], seen_self[i]) != 0;
		differs_from_main += pthread_equal(seen_self[i], pthread_self()) == 0;
	}
	printf("pthread_self matches pthread_create id: %d of 4\n", same);
	printf("differs from main: %d of 4\n", differs_from_main);
	printf("pthread_equal(self, self): %s\n", pthread_equal(pthread_self(), pthread_self()) ? "yes" : "no");

	/* Detach a running thread; detached-state attribute. */
	pthread_create(&t, NULL, detached_main, (void *)300);
	EXPECT_RC("pthread_detach running thread", pthread_detach(t), 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int ds;
	pthread_attr_getdetachstate(&attr, &ds);
	printf("attr detachstate: %s\n", ds == PTHREAD_CREATE_DETACHED ? "DETACHED" : "JOINABLE");
	for (int i = 0; i < 5; i++)
		if (pthread_create(&t, &attr, detached_main, (void *)(long)(100 + 50 * i)) != 0)
			FAIL("create detached");
	pthread_attr_destroy(&attr);
	for (int i = 0; i < 200 && atomic_load(&detached_done) < 6; i++)
		sleep_ms(10);
	printf("detached threads finished: %d\n", atomic_load(&detached_done));

	/* Many short-lived joinable threads (ids and stacks get reused). */
	long sum = 0;
	for (long i = 0; i < 500; i++) {
		pthread_create(&t, NULL, ret_arg, (void *)i);
		pthread_join(t, &ret);
		sum += (long)ret;
	}
	printf("500 create/join, sum of values: %ld\n", sum);

	ticker_stop();
	return finish("io_pthread_join");
}

/* sem.c: POSIX unnamed and named semaphores between threads.
 *
 * Pins down (sem_wait(3), sem_post(3), sem_open(3), glibc 2.36):
 *   - sem_trywait on zero: -1/EAGAIN; sem_timedwait and sem_clockwait time
 *     out with ETIMEDOUT after really waiting (also for a past deadline);
 *   - a tv_nsec >= 1e9 deadline: EINVAL even when a unit is available (glibc
 *     validates first), an unsupported clock for sem_clockwait: EINVAL;
 *   - sem_init above SEM_VALUE_MAX: EINVAL; sem_post at SEM_VALUE_MAX:
 *     EOVERFLOW; sem_getvalue tracks posts and waits;
 *   - a bounded-buffer producer/consumer on two semaphores moves every item
 *     exactly once, and a consumer blocked 400 ms in sem_wait is woken by a
 *     post (under libgreen it must park, so the ticker keeps running);
 *   - named semaphores: O_CREAT|O_EXCL twice gives EEXIST, reopening without
 *     O_CREAT shares the value, sem_unlink twice gives ENOENT, opening an
 *     unlinked name gives ENOENT.
 * The named semaphore's name contains the pid (never printed) so parallel
 * runs do not collide.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

static int value_of(sem_t *s)
{
	int v = -1;
	sem_getvalue(s, &v);
	return v;
}

static void expect_value(const char *label, sem_t *s, int want)
{
	int v = value_of(s);
	printf("%s: value %d\n", label, v);
	if (v != want)
		FAIL("%s: value %d, expected %d", label, v, want);
}

static void expect_timeout(const char *label, int rc, long t0, long min_ms)
{
	long waited = ms_since(t0);
	expect(label, err_of(rc), ETIMEDOUT);
	if (waited < min_ms)
		FAIL("%s: timed out after %ld ms, before the deadline", label, waited);
}

static void unnamed_basics(void)
{
	sem_t s;
	struct timespec dl;
	long t0;
	printf("-- unnamed\n");
	expect("sem_init(SEM_VALUE_MAX + 1)", err_of(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u)), EINVAL);
	expect("sem_init(0)", err_of(sem_init(&s, 0, 0)), 0);
	expect("sem_trywait on 0", err_of(sem_trywait(&s)), EAGAIN);
	dl.tv_sec = 0;
	dl.tv_nsec = 0;
	expect("sem_timedwait past deadline", err_of(sem_timedwait(&s, &dl)), ETIMEDOUT);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_REALTIME, 60);
	expect_timeout("sem_timedwait 60 ms", sem_timedwait(&s, &dl), t0, 55);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_MONOTONIC, 60);
	expect_timeout("sem_clockwait MONOTONIC 60 ms", sem_clockwait(&s, CLOCK_MONOTONIC, &dl), t0, 55);
	t0 = now_ns();
	dl = deadline_ms(CLOCK_REALTIME, 60);
	expect_timeout("sem_clockwait REALTIME 60 ms", sem_clockwait(&s, CLOCK_REALTIME, &dl), t0, 55);
	dl = deadline_ms(CLOCK_MONOTONIC, 60);
	expect("sem_clockwait CPUTIME clock", err_of(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &dl)), EINVAL);

	for (int i = 0; i < 3; i++)
		sem_post(&s);
	expect_value("after 3 posts", &s, 3);
	dl.tv_sec = time(NULL) + 1;
	dl.tv_nsec = 1000000000;
	expect("sem_timedwait tv_nsec=1e9 with units available", err_of(sem_timedwait(&s, &dl)), EINVAL);
	expect_value("after the rejected timedwait", &s, 3);
	expect("sem_wait", err_of(sem_wait(&s)), 0);
	expect("sem_trywait", err_of(sem_trywait(&s)), 0);
	dl = deadline_ms(CLOCK_REALTIME, 60);
	expect("sem_timedwait with a unit available", err_of(sem_timedwait(&s, &dl)), 0);
	expect_value("after 3 waits", &s, 0);
	expect("sem_destroy", err_of(sem_destroy(&s)), 0);

	expect("sem_init(SEM_VALUE_MAX)", err_of(sem_init(&s, 0, SEM_VALUE_MAX)), 0);
	expect("sem_post at SEM_VALUE_MAX", err_of(sem_post(&s)), EOVERFLOW);
	printf("value is SEM_VALUE_MAX: %s\n", value_of(&s) == SEM_VALUE_MAX ? "yes" : "no");
	sem_destroy(&s);
}

#define SLOTS 8
#define ITEMS 2000

static sem_t empty_slots, full_slots;
static int ring[SLOTS];
static long consumed_sum;
static int consumed_count;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		sem_wait(&empty_slots);
		ring[i % SLOTS] = i;
		sem_post(&full_slots);
		if (i == ITEMS / 2)
			sleep_ms(400);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		sem_wait(&full_slots);
		int v = ring[i % SLOTS];
		if (v != i)
			FAIL("consumer expected item %d, got %d", i, v);
		consumed_sum += v;
		consumed_count++;
		sem_post(&empty_slots);
	}
	return NULL;
}

static void bounded_buffer(void)
{
	printf("-- bounded buffer\n");
	sem_init(&empty_slots, 0, SLOTS);
	sem_init(&full_slots, 0, 0);
	pthread_t p, c;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	printf("items consumed: %d, sum: %ld\n", consumed_count, consumed_sum);
	if (consumed_count != ITEMS || consumed_sum != (long)ITEMS * (ITEMS + 1) / 2)
		FAIL("consumed %d items summing %ld", consumed_count, consumed_sum);
	expect_value("empty slots at the end", &empty_slots, SLOTS);
	expect_value("full slots at the end", &full_slots, 0);
	sem_destroy(&empty_slots);
	sem_destroy(&full_slots);
}

static sem_t *named_shared;
static int named_got;

static void *named_waiter(void *arg)
{
	(void)arg;
	struct timespec dl = deadline_ms(CLOCK_REALTIME, 5000);
	named_got = err_of(sem_timedwait(named_shared, &dl));
	return NULL;
}

static void named(void)
{
	char name[64];
	snprintf(name, sizeof name, "/libgreen_sync_sem_%d", (int)getpid());
	printf("-- named\n");
	sem_unlink(name);
	sem_t *a = sem_open(name, O_CREAT | O_EXCL, 0600, 2);
	printf("sem_open(O_CREAT|O_EXCL): %s\n", a == SEM_FAILED ? ename(errno) : "ok");
	if (a == SEM_FAILED) {
		FAIL("sem_open: %s", ename(errno));
		return;
	}
	sem_t *dup = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	expect("sem_open(O_CREAT|O_EXCL) again", dup == SEM_FAILED ? errno : 0, EEXIST);
	sem_t *b = sem_open(name, 0);
	printf("sem_open existing: %s\n", b == SEM_FAILED ? ename(errno) : "ok");
	if (b == SEM_FAILED) {
		FAIL("sem_open existing: %s", ename(errno));
		return;
	}
	expect_value("second handle sees", b, 2);
	expect("sem_wait via first handle", err_of(sem_wait(a)), 0);
	expect_value("second handle sees", b, 1);
	expect("sem_trywait via second handle", err_of(sem_trywait(b)), 0);
	expect("sem_trywait on 0", err_of(sem_trywait(a)), EAGAIN);

	named_shared = b;
	pthread_t t;
	pthread_create(&t, NULL, named_waiter, NULL);
	sleep_ms(350);
	sem_post(a);
	pthread_join(t, NULL);
	expect("thread blocked on the second handle, woken by a post on the first", named_got, 0);

	expect("sem_unlink", err_of(sem_unlink(name)), 0);
	expect("sem_unlink again", err_of(sem_unlink(name)), ENOENT);
	sem_t *gone = sem_open(name, 0);
	expect("sem_open unlinked name", gone == SEM_FAILED ? errno : 0, ENOENT);
	expect("sem_post after unlink (still open)", err_of(sem_post(a)), 0);
	expect_value("value after unlink", b, 1);
	expect("sem_close", err_of(sem_close(b)), 0);
	expect("sem_close", err_of(sem_close(a)), 0);
}

int main(void)
{
	check_init(30);
	ticker_start();
	unnamed_basics();
	bounded_buffer();
	named();
	ticker_stop();
	return check_status();
}

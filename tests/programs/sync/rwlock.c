/* rwlock.c: pthread rwlock semantics, error codes and writer preference.
 *
 * Pins down (pthread_rwlock_rdlock(3p), pthread_rwlockattr_setkind_np(3),
 * glibc 2.36):
 *   - read locks are shared (two readers inside at once meet at a barrier),
 *     a reader excludes writers and a writer excludes everyone: try* give
 *     EBUSY, timed and clock variants give ETIMEDOUT after really waiting;
 *   - the owner of the write lock gets EDEADLK from rdlock and wrlock (glibc
 *     compares the caller's tid, so under libgreen green threads sharing an
 *     OS thread must not look like the owner);
 *   - a tv_nsec >= 1e9 deadline or an unsupported clock: EINVAL even when the
 *     lock is free (glibc validates before trying);
 *   - with PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP a waiting writer
 *     blocks new readers (tryrdlock EBUSY, and the writer gets the lock
 *     before a reader that arrived later); the default (prefer reader) lets
 *     new readers in;
 *   - a readers/writers workload sees consistent data and exact counts, with
 *     one writer holding the lock for 350 ms (blocked readers must park).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

enum op { TRYRD, TRYWR, TIMEDRD, TIMEDWR, CLOCKRD, CLOCKWR_RT, TIMEDWR_PAST, RDLOCK };

struct call {
	pthread_rwlock_t *rw;
	enum op op;
	int rc;
	long waited_ms;
};

static int do_op(pthread_rwlock_t *rw, enum op op)
{
	struct timespec dl;
	switch (op) {
	case TRYRD:
		return pthread_rwlock_tryrdlock(rw);
	case TRYWR:
		return pthread_rwlock_trywrlock(rw);
	case TIMEDRD:
		dl = deadline_ms(CLOCK_REALTIME, 60);
		return pthread_rwlock_timedrdlock(rw, &dl);
	case TIMEDWR:
		dl = deadline_ms(CLOCK_REALTIME, 60);
		return pthread_rwlock_timedwrlock(rw, &dl);
	case CLOCKRD:
		dl = deadline_ms(CLOCK_MONOTONIC, 60);
		return pthread_rwlock_clockrdlock(rw, CLOCK_MONOTONIC, &dl);
	case CLOCKWR_RT:
		dl = deadline_ms(CLOCK_REALTIME, 60);
		return pthread_rwlock_clockwrlock(rw, CLOCK_REALTIME, &dl);
	case TIMEDWR_PAST:
		dl.tv_sec = 0;
		dl.tv_nsec = 0;
		return pthread_rwlock_timedwrlock(rw, &dl);
	case RDLOCK:
		return pthread_rwlock_rdlock(rw);
	}
	return -1;
}

static void *other_main(void *arg)
{
	struct call *c = arg;
	long t0 = now_ns();
	c->rc = do_op(c->rw, c->op);
	c->waited_ms = ms_since(t0);
	if (c->rc == 0)
		pthread_rwlock_unlock(c->rw);
	return NULL;
}

static void other(const char *what, pthread_rwlock_t *rw, enum op op, int want)
{
	struct call c = { rw, op, -1, 0 };
	pthread_t t;
	pthread_create(&t, NULL, other_main, &c);
	pthread_join(t, NULL);
	char label[160];
	snprintf(label, sizeof label, "other thread %s", what);
	expect(label, c.rc, want);
	if (c.rc == ETIMEDOUT && op != TIMEDWR_PAST && c.waited_ms < 50)
		FAIL("%s: ETIMEDOUT after only %ld ms", label, c.waited_ms);
}

static void error_codes(void)
{
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	struct timespec bad = { 0, 1000000000 };
	struct timespec dl = deadline_ms(CLOCK_MONOTONIC, 60);
	printf("-- error codes\n");
	expect("timedrdlock tv_nsec=1e9 when free", pthread_rwlock_timedrdlock(&rw, &bad), EINVAL);
	expect("timedwrlock tv_nsec=1e9 when free", pthread_rwlock_timedwrlock(&rw, &bad), EINVAL);
	expect("clockrdlock CPUTIME clock when free",
	       pthread_rwlock_clockrdlock(&rw, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
	expect("clockwrlock CPUTIME clock when free",
	       pthread_rwlock_clockwrlock(&rw, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);

	expect("rdlock", pthread_rwlock_rdlock(&rw), 0);
	other("tryrdlock while read-locked", &rw, TRYRD, 0);
	other("timedrdlock while read-locked", &rw, TIMEDRD, 0);
	other("trywrlock while read-locked", &rw, TRYWR, EBUSY);
	other("timedwrlock 60 ms while read-locked", &rw, TIMEDWR, ETIMEDOUT);
	other("clockwrlock REALTIME 60 ms while read-locked", &rw, CLOCKWR_RT, ETIMEDOUT);
	other("timedwrlock past deadline while read-locked", &rw, TIMEDWR_PAST, ETIMEDOUT);
	expect("rdlock again (same thread)", pthread_rwlock_rdlock(&rw), 0);
	expect("unlock", pthread_rwlock_unlock(&rw), 0);
	expect("unlock", pthread_rwlock_unlock(&rw), 0);

	expect("wrlock", pthread_rwlock_wrlock(&rw), 0);
	other("tryrdlock while write-locked", &rw, TRYRD, EBUSY);
	other("trywrlock while write-locked", &rw, TRYWR, EBUSY);
	other("timedrdlock 60 ms while write-locked", &rw, TIMEDRD, ETIMEDOUT);
	other("clockrdlock MONOTONIC 60 ms while write-locked", &rw, CLOCKRD, ETIMEDOUT);
	other("timedwrlock 60 ms while write-locked", &rw, TIMEDWR, ETIMEDOUT);
	other("clockwrlock REALTIME 60 ms while write-locked", &rw, CLOCKWR_RT, ETIMEDOUT);
	expect("owner rdlock", pthread_rwlock_rdlock(&rw), EDEADLK);
	expect("owner wrlock", pthread_rwlock_wrlock(&rw), EDEADLK);
	dl = deadline_ms(CLOCK_REALTIME, 60);
	expect("owner timedwrlock", pthread_rwlock_timedwrlock(&rw, &dl), EDEADLK);
	expect("owner tryrdlock", pthread_rwlock_tryrdlock(&rw), EBUSY);
	expect("owner trywrlock", pthread_rwlock_trywrlock(&rw), EBUSY);
	expect("unlock", pthread_rwlock_unlock(&rw), 0);
	other("trywrlock after unlock", &rw, TRYWR, 0);
	expect("destroy", pthread_rwlock_destroy(&rw), 0);
}

static pthread_rwlock_t shared_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t both_inside;

static void *sharing_reader(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&shared_rw);
	pthread_barrier_wait(&both_inside);
	pthread_rwlock_unlock(&shared_rw);
	return NULL;
}

static void readers_share(void)
{
	printf("-- readers share\n");
	pthread_barrier_init(&both_inside, NULL, 2);
	pthread_t a, b;
	pthread_create(&a, NULL, sharing_reader, NULL);
	pthread_create(&b, NULL, sharing_reader, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&both_inside);
	printf("two readers held the read lock together: yes\n");
}

static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static char order[8];
static int order_len;

static void note(char who)
{
	pthread_mutex_lock(&order_mu);
	order[order_len++] = who;
	pthread_mutex_unlock(&order_mu);
}

static void *pref_writer(void *arg)
{
	pthread_rwlock_wrlock(arg);
	note('W');
	sleep_ms(20);
	pthread_rwlock_unlock(arg);
	return NULL;
}

static void *pref_reader(void *arg)
{
	pthread_rwlock_rdlock(arg);
	note('R');
	pthread_rwlock_unlock(arg);
	return NULL;
}

static void preference(const char *name, int kind, int want_try, const char *want_order)
{
	pthread_rwlockattr_t a;
	pthread_rwlock_t rw;
	pthread_rwlockattr_init(&a);
	expect("rwlockattr_setkind_np", pthread_rwlockattr_setkind_np(&a, kind), 0);
	int got = -1;
	pthread_rwlockattr_getkind_np(&a, &got);
	if (got != kind)
		FAIL("rwlockattr_getkind_np returned %d, set %d", got, kind);
	pthread_rwlock_init(&rw, &a);
	pthread_rwlockattr_destroy(&a);
	printf("-- %s\n", name);

	order_len = 0;
	pthread_rwlock_rdlock(&rw);
	pthread_t w, r;
	pthread_create(&w, NULL, pref_writer, &rw);
	sleep_ms(200);
	other("tryrdlock while a writer waits", &rw, TRYRD, want_try);
	pthread_create(&r, NULL, pref_reader, &rw);
	sleep_ms(200);
	pthread_rwlock_unlock(&rw);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	order[order_len] = 0;
	printf("acquisition order (W writer, R late reader): %s\n", order);
	if (strcmp(order, want_order) != 0)
		FAIL("%s: order %s, expected %s", name, order, want_order);
	pthread_rwlock_destroy(&rw);
}

#define SLOTS 16
#define READERS 6
#define WRITERS 2
#define READS 300
#define WRITES 200

static pthread_rwlock_t data_rw = PTHREAD_RWLOCK_INITIALIZER;
static int data[SLOTS];
static int writes_done;
static int inconsistent;
static long reads_done;

static void *data_reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < READS; i++) {
		pthread_rwlock_rdlock(&data_rw);
		for (int s = 1; s < SLOTS; s++)
			if (data[s] != data[0])
				__atomic_store_n(&inconsistent, 1, __ATOMIC_RELAXED);
		if (i % 16 == 0)
			sched_yield();
		pthread_rwlock_unlock(&data_rw);
		__atomic_fetch_add(&reads_done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *data_writer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < WRITES; i++) {
		pthread_rwlock_wrlock(&data_rw);
		int v = data[0] + 1;
		for (int s = 0; s < SLOTS; s++) {
			data[s] = v;
			if (s == SLOTS / 2 && i % 32 == 0)
				sched_yield();
		}
		writes_done++;
		if (id == 0 && i == 10)
			sleep_ms(350);
		pthread_rwlock_unlock(&data_rw);
	}
	return NULL;
}

static void workload(void)
{
	printf("-- readers/writers workload\n");
	pthread_t r[READERS], w[WRITERS];
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, data_writer, (void *)i);
	for (int i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, data_reader, NULL);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	printf("writes: %d, value: %d, reads: %ld, consistent: %s\n", writes_done, data[0],
	       reads_done, inconsistent ? "no" : "yes");
	if (writes_done != WRITERS * WRITES || data[0] != WRITERS * WRITES)
		FAIL("writes %d value %d, expected %d", writes_done, data[0], WRITERS * WRITES);
	if (reads_done != READERS * READS)
		FAIL("reads %ld, expected %d", reads_done, READERS * READS);
	if (inconsistent)
		FAIL("a reader saw a half-written array");
}

int main(void)
{
	check_init(30);
	ticker_start();
	error_codes();
	readers_share();
	preference("prefer reader (default)", PTHREAD_RWLOCK_PREFER_READER_NP, 0, "RW");
	preference("prefer writer nonrecursive", PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, EBUSY, "WR");
	workload();
	ticker_stop();
	return check_status();
}

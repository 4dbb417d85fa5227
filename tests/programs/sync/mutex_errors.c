/* mutex_errors.c: the return codes of every glibc mutex type.
 *
 * For normal, recursive, errorcheck and adaptive mutexes, each made both with
 * pthread_mutexattr_settype and with its static initializer
 * (PTHREAD_MUTEX_INITIALIZER, PTHREAD_{RECURSIVE,ERRORCHECK,ADAPTIVE}_MUTEX_
 * INITIALIZER_NP), pins down what glibc 2.36 returns (pthread_mutex_lock(3p),
 * pthread_mutex_timedlock(3p)):
 *   - trylock EBUSY from another thread, and from the owner unless recursive;
 *   - timedlock / clocklock(MONOTONIC, REALTIME) from another thread: ETIMEDOUT
 *     after really waiting, also for a deadline already past;
 *   - a deadline with tv_nsec >= 1e9: EINVAL when the call would block, but 0
 *     (the lock is taken) when the mutex is free: glibc only validates the
 *     timespec on the blocking path;
 *   - clocklock with an unsupported clock: EINVAL even when free;
 *   - relock by the owner: errorcheck EDEADLK, recursive counts;
 *   - unlock by a non-owner or of an unlocked mutex: EPERM (errorcheck and
 *     recursive only; for normal/adaptive it is undefined, so not tested);
 *   - pthread_mutex_destroy of a locked mutex: EBUSY.
 * The "other thread" is a fresh pthread, so under libgreen the owner check
 * must tell green threads on one OS thread apart.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

enum op {
	OP_TRYLOCK,
	OP_UNLOCK,
	OP_TIMEDLOCK,
	OP_TIMEDLOCK_PAST,
	OP_TIMEDLOCK_BADNS,
	OP_CLOCKLOCK_MONO,
	OP_CLOCKLOCK_RT,
	OP_CLOCKLOCK_BADCLOCK,
};

struct call {
	pthread_mutex_t *m;
	enum op op;
	int rc;
	long waited_ms;
};

static int do_op(pthread_mutex_t *m, enum op op)
{
	struct timespec dl;
	switch (op) {
	case OP_TRYLOCK:
		return pthread_mutex_trylock(m);
	case OP_UNLOCK:
		return pthread_mutex_unlock(m);
	case OP_TIMEDLOCK:
		dl = deadline_ms(CLOCK_REALTIME, 60);
		return pthread_mutex_timedlock(m, &dl);
	case OP_TIMEDLOCK_PAST:
		dl.tv_sec = 0;
		dl.tv_nsec = 0;
		return pthread_mutex_timedlock(m, &dl);
	case OP_TIMEDLOCK_BADNS:
		dl.tv_sec = time(NULL) + 1;
		dl.tv_nsec = 1000000000;
		return pthread_mutex_timedlock(m, &dl);
	case OP_CLOCKLOCK_MONO:
		dl = deadline_ms(CLOCK_MONOTONIC, 60);
		return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &dl);
	case OP_CLOCKLOCK_RT:
		dl = deadline_ms(CLOCK_REALTIME, 60);
		return pthread_mutex_clocklock(m, CLOCK_REALTIME, &dl);
	case OP_CLOCKLOCK_BADCLOCK:
		dl = deadline_ms(CLOCK_MONOTONIC, 60);
		return pthread_mutex_clocklock(m, CLOCK_PROCESS_CPUTIME_ID, &dl);
	}
	return -1;
}

static void *other_main(void *arg)
{
	struct call *c = arg;
	long t0 = now_ns();
	c->rc = do_op(c->m, c->op);
	c->waited_ms = ms_since(t0);
	if (c->rc == 0 && c->op != OP_UNLOCK)
		pthread_mutex_unlock(c->m);
	return NULL;
}

/* Runs op on m in a new thread (which unlocks again whatever it acquired). */
static void other(const char *kind, const char *what, pthread_mutex_t *m, enum op op, int want)
{
	struct call c = { m, op, -1, 0 };
	pthread_t t;
	pthread_create(&t, NULL, other_main, &c);
	pthread_join(t, NULL);
	char label[160];
	snprintf(label, sizeof label, "%s: other thread %s", kind, what);
	expect(label, c.rc, want);
	if (c.rc == ETIMEDOUT && op != OP_TIMEDLOCK_PAST && c.waited_ms < 50)
		FAIL("%s returned ETIMEDOUT after only %ld ms", label, c.waited_ms);
	fprintf(stderr, "%s: waited %ld ms\n", label, c.waited_ms);
}

static void expect_k(const char *kind, const char *what, int got, int want)
{
	char label[160];
	snprintf(label, sizeof label, "%s: %s", kind, what);
	expect(label, got, want);
}

static void self(const char *kind, const char *what, pthread_mutex_t *m, enum op op, int want)
{
	char label[160];
	snprintf(label, sizeof label, "%s: owner %s", kind, what);
	expect(label, do_op(m, op), want);
}

static void check_kind(const char *kind, pthread_mutex_t *m, int type)
{
	int owner_relock = type == PTHREAD_MUTEX_RECURSIVE ? 0 : EBUSY;

	self(kind, "trylock free", m, OP_TRYLOCK, 0);
	other(kind, "trylock", m, OP_TRYLOCK, EBUSY);
	other(kind, "timedlock 60 ms", m, OP_TIMEDLOCK, ETIMEDOUT);
	other(kind, "timedlock past deadline", m, OP_TIMEDLOCK_PAST, ETIMEDOUT);
	other(kind, "timedlock tv_nsec=1e9", m, OP_TIMEDLOCK_BADNS, EINVAL);
	other(kind, "clocklock MONOTONIC 60 ms", m, OP_CLOCKLOCK_MONO, ETIMEDOUT);
	other(kind, "clocklock REALTIME 60 ms", m, OP_CLOCKLOCK_RT, ETIMEDOUT);
	other(kind, "clocklock CPUTIME clock", m, OP_CLOCKLOCK_BADCLOCK, EINVAL);
	self(kind, "trylock again", m, OP_TRYLOCK, owner_relock);
	if (type == PTHREAD_MUTEX_ERRORCHECK) {
		expect_k(kind, "owner lock again", pthread_mutex_lock(m), EDEADLK);
		self(kind, "timedlock again", m, OP_TIMEDLOCK, EDEADLK);
	}
	if (type == PTHREAD_MUTEX_RECURSIVE) {
		expect_k(kind, "owner lock again", pthread_mutex_lock(m), 0);
		self(kind, "timedlock again", m, OP_TIMEDLOCK, 0);
		self(kind, "clocklock again", m, OP_CLOCKLOCK_MONO, 0);
		/* Held 5 times now: 4 unlocks keep it held. */
		int ok = 1;
		for (int i = 0; i < 4; i++)
			ok &= pthread_mutex_unlock(m) == 0;
		printf("%s: 4 of 5 unlocks succeed: %s\n", kind, ok ? "yes" : "no");
		if (!ok)
			FAIL("%s: recursive unlock failed", kind);
		other(kind, "trylock after 4 of 5 unlocks", m, OP_TRYLOCK, EBUSY);
	}
	if (type == PTHREAD_MUTEX_ERRORCHECK || type == PTHREAD_MUTEX_RECURSIVE)
		other(kind, "unlock (not owner)", m, OP_UNLOCK, EPERM);
	expect_k(kind, "destroy while locked", pthread_mutex_destroy(m), EBUSY);
	self(kind, "unlock", m, OP_UNLOCK, 0);
	if (type == PTHREAD_MUTEX_ERRORCHECK || type == PTHREAD_MUTEX_RECURSIVE)
		self(kind, "unlock of unlocked mutex", m, OP_UNLOCK, EPERM);
	other(kind, "trylock after unlock", m, OP_TRYLOCK, 0);
	self(kind, "timedlock tv_nsec=1e9 when free", m, OP_TIMEDLOCK_BADNS, 0);
	other(kind, "trylock after bad-timespec lock", m, OP_TRYLOCK, EBUSY);
	self(kind, "unlock", m, OP_UNLOCK, 0);
	self(kind, "clocklock CPUTIME clock when free", m, OP_CLOCKLOCK_BADCLOCK, EINVAL);
	other(kind, "trylock after rejected clocklock", m, OP_TRYLOCK, 0);
	expect_k(kind, "destroy", pthread_mutex_destroy(m), 0);
}

/* A blocking clocklock that outlasts the ticker limit, then succeeds when
 * the owner lets go. */
static void *long_holder(void *arg)
{
	pthread_mutex_t *m = arg;
	pthread_mutex_lock(m);
	sleep_ms(350);
	pthread_mutex_unlock(m);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();

	static const struct {
		const char *name;
		int type;
	} kinds[] = {
		{ "normal", PTHREAD_MUTEX_NORMAL },
		{ "recursive", PTHREAD_MUTEX_RECURSIVE },
		{ "errorcheck", PTHREAD_MUTEX_ERRORCHECK },
		{ "adaptive", PTHREAD_MUTEX_ADAPTIVE_NP },
	};
	pthread_mutex_t statics[4] = {
		PTHREAD_MUTEX_INITIALIZER,
		PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
		PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP,
		PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
	};

	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	int t = -1;
	pthread_mutexattr_gettype(&a, &t);
	printf("default mutexattr type is PTHREAD_MUTEX_DEFAULT: %s\n",
	       t == PTHREAD_MUTEX_DEFAULT ? "yes" : "no");
	expect("mutexattr_settype(99)", pthread_mutexattr_settype(&a, 99), EINVAL);

	for (int k = 0; k < 4; k++) {
		char name[64];
		pthread_mutex_t m;
		expect("mutexattr_settype", pthread_mutexattr_settype(&a, kinds[k].type), 0);
		pthread_mutexattr_gettype(&a, &t);
		if (t != kinds[k].type)
			FAIL("mutexattr_gettype returned %d, set %d", t, kinds[k].type);
		pthread_mutex_init(&m, &a);
		snprintf(name, sizeof name, "%s (attr)", kinds[k].name);
		check_kind(name, &m, kinds[k].type);
		snprintf(name, sizeof name, "%s (static)", kinds[k].name);
		check_kind(name, &statics[k], kinds[k].type);
	}
	pthread_mutexattr_destroy(&a);

	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_t h;
	pthread_create(&h, NULL, long_holder, &m);
	for (int i = 0; i < 1000 && pthread_mutex_trylock(&m) == 0; i++) {
		pthread_mutex_unlock(&m);
		sleep_ms(1);
	}
	struct timespec dl = deadline_ms(CLOCK_MONOTONIC, 2000);
	expect("clocklock waiting 350 ms for the holder", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &dl), 0);
	pthread_mutex_unlock(&m);
	pthread_join(h, NULL);

	ticker_stop();
	return check_status();
}

/* pthread_attr.c: stack attributes and thread names as a thread sees them.
 *
 * Pins down: a thread created with pthread_attr_setstacksize(N) really has at
 * least N bytes of stack (it can use most of them) and pthread_getattr_np
 * reports a stack size >= N whose range [stackaddr, stackaddr + size) holds
 * the thread's current stack pointer; the same holds for the main thread and
 * for default-attribute threads. The detach state and guard size in
 * pthread_getattr_np match the creation attributes. Thread names
 * (pthread_setname_np(3)): up to 15 characters, longer gives ERANGE, a
 * getname buffer under 16 bytes gives ERANGE; a new thread starts with its
 * creator's name; a thread can name another. Under libgreen the stack is a
 * green stack: getattr_np must describe it, not the hub's stack.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <stdint.h>

struct stack_check {
	size_t requested; /* 0: default attributes */
	int detached;
	size_t touch;     /* bytes of stack to use */
	int ok_size, ok_inside, ok_detach, used;
	size_t guard;
};

static __attribute__((noinline)) int use_stack(size_t n)
{
	volatile char *p = __builtin_alloca(n);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = (char)i;
	p[n - 1] = 1;
	return p[0] + p[n - 1];
}

static void *stack_main(void *arg)
{
	struct stack_check *c = arg;
	pthread_attr_t a;
	if (pthread_getattr_np(pthread_self(), &a) != 0) {
		tfail("pthread_getattr_np: %s", ename(errno));
		return NULL;
	}
	void *addr;
	size_t size;
	int ds;
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_getdetachstate(&a, &ds);
	pthread_attr_getguardsize(&a, &c->guard);
	pthread_attr_destroy(&a);
	char here;
	uintptr_t lo = (uintptr_t)addr, hi = lo + size, sp = (uintptr_t)&here;
	c->ok_size = size >= c->requested && size >= 16384;
	c->ok_inside = sp >= lo && sp < hi;
	c->ok_detach = ds == (c->detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
	if (c->touch)
		c->used = use_stack(c->touch) == 1;
	fprintf(stderr, "stack: requested %zu, reported %zu, guard %zu, sp offset from top %zu\n", c->requested,
		size, c->guard, (size_t)(hi - sp));
	return NULL;
}

static void check_stack(size_t requested, size_t touch, int detached)
{
	struct stack_check c = { .requested = requested, .touch = touch, .detached = detached };
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (requested)
		pthread_attr_setstacksize(&a, requested);
	pthread_t t;
	if (pthread_create(&t, requested ? &a : NULL, stack_main, &c) != 0)
		FAIL("pthread_create with stack %zu", requested);
	pthread_attr_destroy(&a);
	pthread_join(t, NULL);
	char label[32] = "default";
	if (requested)
		snprintf(label, sizeof label, "%zu KiB", requested / 1024);
	printf("stack %s: size ok %d, sp inside %d, detach ok %d, used %zu KiB: %d\n", label, c.ok_size,
	       c.ok_inside, c.ok_detach, touch / 1024, touch ? c.used : 1);
	CHECK(c.ok_size && c.ok_inside && c.ok_detach, "stack attributes for %zu", requested);
}

static void check_main_stack(void)
{
	pthread_attr_t a;
	EXPECT_RC("pthread_getattr_np(main)", pthread_getattr_np(pthread_self(), &a), 0);
	void *addr;
	size_t size;
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	char here;
	uintptr_t lo = (uintptr_t)addr, sp = (uintptr_t)&here;
	printf("main: sp inside reported stack: %s\n", sp >= lo && sp < lo + size ? "yes" : "no");
	printf("main: use 1 MiB of stack: %d\n", use_stack(1 << 20));
}

static void *guard_main(void *arg)
{
	pthread_attr_t a;
	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getguardsize(&a, (size_t *)arg);
	pthread_attr_destroy(&a);
	return NULL;
}

/* ---- names ---- */

static char child_name[32];
static int child_rc;
static pthread_barrier_t bar;

static void *name_child(void *arg)
{
	(void)arg;
	child_rc = pthread_getname_np(pthread_self(), child_name, sizeof child_name);
	pthread_barrier_wait(&bar); /* 1: parent may now rename us */
	pthread_barrier_wait(&bar); /* 2: renamed */
	pthread_getname_np(pthread_self(), child_name, sizeof child_name);
	return NULL;
}

static void check_names(void)
{
	char buf[32];
	EXPECT_RC("setname main \"io-main\"", pthread_setname_np(pthread_self(), "io-main"), 0);
	pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("main name: %s\n", buf);
	printf("setname 15 chars: %s\n", ename(pthread_setname_np(pthread_self(), "fifteen-chars15")));
	pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("main name: %s\n", buf);
	printf("setname 16 chars: %s\n", ename(pthread_setname_np(pthread_self(), "sixteen-chars-16")));
	pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("main name unchanged: %s\n", buf);
	printf("getname buflen 15: %s\n", ename(pthread_getname_np(pthread_self(), buf, 15)));
	printf("getname buflen 16: %s\n", ename(pthread_getname_np(pthread_self(), buf, 16)));
	pthread_setname_np(pthread_self(), "io-parent");

	pthread_barrier_init(&bar, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, name_child, NULL);
	pthread_barrier_wait(&bar);
	printf("new thread inherits creator's name: %s (rc %s)\n", child_name, ename(child_rc));
	EXPECT_RC("setname other thread", pthread_setname_np(t, "io-child"), 0);
	pthread_getname_np(t, buf, sizeof buf);
	printf("other thread's name seen from main: %s\n", buf);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	printf("name seen by the thread itself: %s\n", child_name);
	pthread_barrier_destroy(&bar);
	pthread_getname_np(pthread_self(), buf, sizeof buf);
	printf("main name after: %s\n", buf);
}

int main(void)
{
	alarm(30);
	ticker_start();
	check_stack(0, 80 * 1024, 0); /* default stack: room for a 64 KiB buffer */
	check_stack(PTHREAD_STACK_MIN, 0, 0);
	check_stack(64 * 1024, 32 * 1024, 0);
	check_stack(256 * 1024, 192 * 1024, 0);
	check_stack(1024 * 1024, 900 * 1024, 0);
	check_stack(8 * 1024 * 1024, 7 * 1024 * 1024, 0);
	check_stack(32 * 1024 * 1024, 30 * 1024 * 1024, 0);

	/* A detached thread sees PTHREAD_CREATE_DETACHED. */
	struct stack_check c = { .requested = 128 * 1024, .detached = 1 };
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, c.requested);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	pthread_create(&t, &a, stack_main, &c);
	pthread_attr_destroy(&a);
	sleep_ms(300);
	printf("detached thread: detach state ok %d, sp inside %d\n", c.ok_detach, c.ok_inside);

	size_t guard = 0;
	pthread_attr_init(&a);
	pthread_attr_setguardsize(&a, 64 * 1024);
	pthread_create(&t, &a, guard_main, &guard);
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
	printf("guard size set 64 KiB, reported: %zu KiB\n", guard / 1024);

	check_main_stack();
	check_names();
	tfail_flush();
	ticker_stop();
	return finish("io_pthread_attr");
}

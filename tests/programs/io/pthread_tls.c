/* pthread_tls.c: thread-specific data and errno are per thread.
 *
 * Pins down (pthread_key_create(3)): a new key reads NULL in every thread;
 * each thread sees only the value it set; at thread exit (return or
 * pthread_exit) the destructor runs once per thread with that thread's
 * non-NULL value, and not for NULL values; a destructor that sets a new value
 * gets called again (glibc repeats up to PTHREAD_DESTRUCTOR_ITERATIONS = 4
 * rounds); pthread_key_delete stops destructors. errno is per thread: a
 * thread that blocks (sleeps, waits on a socket) while others fail calls
 * with other errnos still reads its own errno afterwards. Under libgreen
 * many green threads share one OS thread, so both must be saved and restored
 * per green thread (DESIGN rule 5).
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define N 8

static pthread_key_t key, key2, key_again, key_deleted;
static atomic_int dtor_calls, dtor_wrong, again_calls, deleted_calls;
static int dtor_seen[N];

static void dtor(void *v)
{
	int i = *(int *)v;
	if (i < 0 || i >= N)
		atomic_fetch_add(&dtor_wrong, 1);
	else
		dtor_seen[i]++;
	atomic_fetch_add(&dtor_calls, 1);
	free(v);
}

static void dtor_null_check(void *v)
{
	if (v == NULL)
		atomic_fetch_add(&dtor_wrong, 1);
}

/* Sets the value again twice: called 3 times per thread in total. */
static void dtor_again(void *v)
{
	atomic_fetch_add(&again_calls, 1);
	long round = (long)v;
	if (round < 3)
		pthread_setspecific(key_again, (void *)(round + 1));
}

static void dtor_deleted(void *v)
{
	(void)v;
	atomic_fetch_add(&deleted_calls, 1);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	if (pthread_getspecific(key) != NULL || pthread_getspecific(key2) != NULL)
		tfail("thread %d: new key not NULL", i);
	int *v = malloc(sizeof *v);
	*v = i;
	pthread_setspecific(key, v);
	pthread_setspecific(key_again, (void *)1L);
	pthread_setspecific(key_deleted, (void *)1L);
	if (i % 2)
		pthread_setspecific(key2, (void *)(long)(i + 1));
	/* Interleave with the other threads, then check our own value. */
	for (int r = 0; r < 5; r++) {
		sleep_ms(20 + (i * 7 + r * 3) % 15);
		int *mine = pthread_getspecific(key);
		if (mine != v || *mine != i)
			tfail("thread %d: getspecific returned another thread's value", i);
		long k2 = (long)pthread_getspecific(key2);
		if (k2 != (i % 2 ? i + 1 : 0))
			tfail("thread %d: key2 value %ld", i, k2);
	}
	if (i == 3)
		pthread_exit(NULL);
	return NULL;
}

/* ---- errno ---- */

static void *errno_worker(void *arg)
{
	int i = (int)(long)arg;
	int want;
	char buf[4];
	int sv[2];
	switch (i % 4) {
	case 0:
		read(-1, buf, 1);
		want = EBADF;
		break;
	case 1:
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		fcntl(sv[0], F_SETFL, O_NONBLOCK);
		recv(sv[0], buf, 1, 0);
		want = EAGAIN;
		close(sv[0]);
		close(sv[1]);
		break;
	case 2:
		errno = 0;
		want = 0;
		break;
	default:
		errno = 12345;
		want = 12345;
		break;
	}
	for (int r = 0; r < 10; r++) {
		sleep_ms(5 + (i + r) % 7);
		if (errno != want) {
			tfail("errno thread %d: errno %d, expected %d (round %d)", i, errno, want, r);
			break;
		}
	}
	/* A blocking wait that fails by timeout sets EAGAIN; the others keep theirs. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = { 0, 50000 + i * 1000 };
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	errno = want;
	if (recv(sv[0], buf, 1, 0) != -1 || errno != EAGAIN)
		tfail("errno thread %d: recv timeout errno %s", i, ename(errno));
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

static void *long_blocker(void *arg)
{
	(void)arg;
	errno = EINTR;
	sleep_ms(500);
	if (errno != EINTR)
		tfail("errno changed across a 500 ms sleep: %s", ename(errno));
	return NULL;
}

int main(void)
{
	alarm(30);
	ticker_start();
	pthread_key_create(&key, dtor);
	pthread_key_create(&key2, dtor_null_check);
	pthread_key_create(&key_again, dtor_again);
	pthread_key_create(&key_deleted, dtor_deleted);
	int mainval = 99;
	pthread_setspecific(key, &mainval);

	pthread_t t[N];
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	sleep_ms(10);
	EXPECT_RC("pthread_key_delete while threads run", pthread_key_delete(key_deleted), 0);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	tfail_flush();
	int once = 0;
	for (int i = 0; i < N; i++)
		once += dtor_seen[i] == 1;
	printf("destructor calls: %d, each thread's value once: %d, wrong: %d\n", atomic_load(&dtor_calls), once,
	       atomic_load(&dtor_wrong));
	printf("re-arming destructor calls: %d\n", atomic_load(&again_calls));
	printf("deleted key destructor calls: %d\n", atomic_load(&deleted_calls));
	printf("main's value untouched: %d\n", *(int *)pthread_getspecific(key));

	pthread_t e[16], lb;
	pthread_create(&lb, NULL, long_blocker, NULL);
	for (long i = 0; i < 16; i++)
		pthread_create(&e[i], NULL, errno_worker, (void *)i);
	errno = ENOSPC;
	sleep_ms(100);
	printf("main errno after its sleep: %s\n", ename(errno));
	for (int i = 0; i < 16; i++)
		pthread_join(e[i], NULL);
	pthread_join(lb, NULL);
	tfail_flush();
	printf("errno per thread checked\n");

	ticker_stop();
	return finish("io_pthread_tls");
}

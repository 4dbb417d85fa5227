/* sem_signal: sem_wait, sem_timedwait and sem_clockwait interrupted by a
 * signal handler. Natively (Linux >= 2.6.22, signal(7)): a handler without
 * SA_RESTART makes all three fail with EINTR; with SA_RESTART the kernel
 * restarts sem_wait's untimed futex wait (it then takes the post that comes
 * later), while the timed ones (an absolute-timeout futex wait, restart block)
 * still fail with EINTR. The semaphore is untouched either way.
 */
#include "check.h"
#include "sigcount.h"
#include "clock.h"
#include "ticker.h"

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static sem_t sem;

static pthread_t waiter_thread;

static void *kicker(void *arg)
{
	(void)arg;
	sleep_ms(200); /* the waiter is in its wait by then, even on a busy machine */
	pthread_kill(waiter_thread, SIGUSR1);
	sleep_ms(200);
	sem_post(&sem);
	return NULL;
}

static int call(int kind)
{
	struct timespec dl;
	switch (kind) {
	case 0:
		return sem_wait(&sem);
	case 1:
		dl = deadline_ms(CLOCK_REALTIME, 5000);
		return sem_timedwait(&sem, &dl);
	default:
		dl = deadline_ms(CLOCK_MONOTONIC, 5000);
		return sem_clockwait(&sem, CLOCK_MONOTONIC, &dl);
	}
}

static const char *names[] = { "sem_wait", "sem_timedwait", "sem_clockwait" };

static void one(int kind, int flags, const char *how)
{
	sigcount_install(SIGUSR1, flags);
	sigcount_handled = 0;
	pthread_t k;
	pthread_create(&k, NULL, kicker, NULL);
	long t0 = now_ns();
	errno = 0;
	int rc = call(kind);
	int e = errno;
	long ms = ms_since(t0);
	pthread_join(k, NULL);
	char label[96];
	snprintf(label, sizeof label, "%s, %s handler", names[kind], how);
	report(label, rc, e);
	bool restarted = kind == 0 && (flags & SA_RESTART);
	if (restarted)
		CHECK(rc == 0, "%s: expected the restarted wait to take the post", label);
	else
		CHECK(rc == -1 && e == EINTR, "%s: expected -1 EINTR", label);
	printf("%s: handler ran: %s\n", label, sigcount_handled ? "yes" : "no");
	CHECK(ms < 4000, "%s: returned after %ld ms", label, ms);
	/* the semaphore is intact: the post is there unless the wait took it */
	if (!restarted)
		EXPECT_RC("then sem_wait", sem_wait(&sem), 0);
	EXPECT_ERR("then sem_trywait", sem_trywait(&sem), EAGAIN);
}

/* A thread that waits in its own thread: the signal goes to it by pthread_kill. */
struct job {
	int kind, flags;
	const char *how;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	one(j->kind, j->flags, j->how);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	sem_init(&sem, 0, 0);
	for (int kind = 0; kind < 3; kind++) {
		for (int r = 0; r < 2; r++) {
			struct job j = { kind, r ? SA_RESTART : 0, r ? "SA_RESTART" : "plain" };
			pthread_create(&waiter_thread, NULL, run_job, &j);
			pthread_join(waiter_thread, NULL);
		}
	}
	/* SIGALRM from the kernel's timer, to the process: the main thread waits */
	for (int r = 0; r < 2; r++) {
		sigcount_install(SIGALRM, r ? SA_RESTART : 0);
		sigcount_handled = 0;
		struct itimerval it = { { 0, 0 }, { 0, 200000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		errno = 0;
		struct timespec dl = deadline_ms(CLOCK_REALTIME, 5000);
		int rc = r ? sem_timedwait(&sem, &dl) : sem_wait(&sem);
		int e = errno;
		char label[64];
		snprintf(label, sizeof label, "%s, SIGALRM %s", r ? "sem_timedwait" : "sem_wait",
			 r ? "SA_RESTART" : "plain");
		report(label, rc, e);
		CHECK(rc == -1 && e == EINTR, "%s: expected -1 EINTR", label);
		printf("%s: handler ran: %s\n", label, sigcount_handled ? "yes" : "no");
	}
	check_init(30);
	sem_destroy(&sem);
	ticker_stop();
	return finish("sem_signal");
}

/* daemon_cancel: pthread_exit and pthread_cancel of threads blocked in calls.
 *
 * Cancellation is per thread (DESIGN.md rule 5) and a blocking call that parks a green
 * thread is still a cancellation point (pthreads(7) lists read, accept, poll, nanosleep,
 * sleep, pthread_cond_wait, sem_wait). This program pins down:
 *   1. pthread_exit deep in a call chain runs the pthread_cleanup_push handlers innermost
 *      first, then thread-specific-data destructors (pthread_exit(3), pthread_key_create(3));
 *   2. pthread_cancel of a thread blocked 400 ms in read, accept, poll, nanosleep, sleep,
 *      pthread_cond_wait and sem_wait: its cleanup handler runs and pthread_join returns
 *      PTHREAD_CANCELED; in pthread_cond_wait the handler runs with the mutex re-acquired
 *      (pthread_cond_wait(3p)) and unlocks it, so trylock succeeds afterwards;
 *   3. with cancelability disabled a cancel request waits (a 400 ms sleep completes) until
 *      the thread enables it and calls pthread_testcancel.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>

static char log_buf[512];
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_ev(const char *s)
{
	pthread_mutex_lock(&log_mu);
	if (log_buf[0])
		strcat(log_buf, " ");
	strcat(log_buf, s);
	pthread_mutex_unlock(&log_mu);
}

static void log_print(const char *what)
{
	printf("%s: %s\n", what, log_buf);
	log_buf[0] = 0;
}

/* ---- 1. pthread_exit deep in a call chain ---- */

static pthread_key_t key;

static void cleanup_named(void *arg) { log_ev(arg); }
static void key_dtor(void *arg) { log_ev(arg); }

static volatile int exit_at_bottom = 1;

static void level(int n)
{
	static const char *names[] = { "cleanup1", "cleanup2", "cleanup3", "cleanup4", "cleanup5" };
	pthread_cleanup_push(cleanup_named, (void *)names[n - 1]);
	if (n < 5) {
		level(n + 1);
	} else if (exit_at_bottom) {
		log_ev("exit-at-depth-5");
		pthread_exit((void *)42L);
	}
	log_ev("NOT-REACHED");
	pthread_cleanup_pop(0);
}

static void *deep(void *arg)
{
	(void)arg;
	pthread_setspecific(key, "key-destructor");
	level(1);
	return NULL;
}

static void part_exit(void)
{
	pthread_key_create(&key, key_dtor);
	pthread_t t;
	void *ret = NULL;
	pthread_create(&t, NULL, deep, NULL);
	pthread_join(t, &ret);
	log_print("pthread_exit");
	printf("pthread_exit: join value %ld\n", (long)ret);
}

/* ---- 2. cancel a thread blocked in a call ---- */

enum { B_READ, B_ACCEPT, B_POLL, B_NANOSLEEP, B_SLEEP, B_COND, B_SEM, NB };
static const char *bnames[NB] = { "read", "accept", "poll", "nanosleep", "sleep",
				  "pthread_cond_wait", "sem_wait" };

static int pfd[2], lfd;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static int mutex_held_in_cleanup;

static void unlock_cleanup(void *arg)
{
	(void)arg;
	mutex_held_in_cleanup = pthread_mutex_trylock(&mu) == EBUSY;
	log_ev("cleanup-unlocks-mutex");
	pthread_mutex_unlock(&mu);
}

static void *blocker(void *arg)
{
	int kind = (int)(long)arg;
	char buf[8];
	pthread_cleanup_push(cleanup_named, "cleanup");
	switch (kind) {
	case B_READ:
		read(pfd[0], buf, sizeof buf);
		break;
	case B_ACCEPT:
		accept(lfd, NULL, NULL);
		break;
	case B_POLL: {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		poll(&p, 1, 5000);
		break;
	}
	case B_NANOSLEEP: {
		struct timespec ts = { 5, 0 };
		nanosleep(&ts, NULL);
		break;
	}
	case B_SLEEP:
		sleep(5);
		break;
	case B_COND:
		pthread_mutex_lock(&mu);
		pthread_cleanup_push(unlock_cleanup, NULL);
		for (int i = 0; i < 10; i++)
			pthread_cond_wait(&cv, &mu);
		pthread_cleanup_pop(1);
		break;
	case B_SEM:
		sem_wait(&sem);
		break;
	}
	log_ev("NOT-CANCELLED");
	pthread_cleanup_pop(0);
	return NULL;
}

static void part_cancel_blocked(void)
{
	pipe2(pfd, O_CLOEXEC);
	int port;
	lfd = listen_lo(&port);
	sem_init(&sem, 0, 0);
	for (int k = 0; k < NB; k++) {
		pthread_t t;
		pthread_create(&t, NULL, blocker, (void *)(long)k);
		sleep_ms(400);
		long t0 = now_ms();
		CHECK(pthread_cancel(t) == 0, "pthread_cancel");
		void *ret = NULL;
		pthread_join(t, &ret);
		fprintf(stderr, "cancel of %s took %ld ms\n", bnames[k], now_ms() - t0);
		printf("cancel in %s: join %s, log: %s\n", bnames[k],
		       ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", log_buf);
		log_buf[0] = 0;
	}
	int tl = pthread_mutex_trylock(&mu);
	printf("cond_wait: cleanup ran with the mutex held: %s; trylock afterwards: %s\n",
	       mutex_held_in_cleanup ? "yes" : "no", ename(tl));
	if (tl == 0)
		pthread_mutex_unlock(&mu);
	close(pfd[0]);
	close(pfd[1]);
	close(lfd);
	sem_destroy(&sem);
}

/* ---- 3. deferred by pthread_setcancelstate ---- */

static volatile int disabled;

static void *deferred(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup_named, "cleanup");
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	disabled = 1;
	sleep_ms(400);
	log_ev("slept-400ms-with-cancel-disabled");
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	log_ev(old == PTHREAD_CANCEL_DISABLE ? "enabled" : "enabled-but-was-not-disabled");
	pthread_testcancel();
	log_ev("NOT-CANCELLED");
	pthread_cleanup_pop(0);
	return NULL;
}

static void part_deferred(void)
{
	pthread_t t;
	pthread_create(&t, NULL, deferred, NULL);
	while (!disabled)
		sleep_ms(1);
	pthread_cancel(t);
	void *ret = NULL;
	pthread_join(t, &ret);
	printf("cancel while disabled: join %s, log: %s\n",
	       ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled", log_buf);
	log_buf[0] = 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);
	ticker_start();
	part_exit();
	part_cancel_blocked();
	part_deferred();
	ticker_stop();
	return check_status();
}

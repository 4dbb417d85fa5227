/* signal_taken: a signal whose handler ran while the thread was running (not
 * blocked in a call) ends none of its later calls (found by the fuzzer,
 * tests/programs/fuzz). Natively pthread_kill(pthread_self()) runs the
 * handler before it returns, and an alarm that arrives while the thread
 * computes runs it there; a later timed wait then times out as usual. Under
 * libgreen the handler runs on the hub's OS thread and the hub delivers the
 * signal later: it must not interrupt the thread's next park with EINTR.
 * Each case: the signal, then waits that must time out (or succeed) with
 * errno untouched. The handler has no SA_RESTART, so a delivery to a
 * blocked call would be EINTR.
 */
#include "check.h"
#include "clock.h"
#include "sigcount.h"
#include "ticker.h"

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/select.h>
#include <sys/time.h>

static sem_t sem;

static void waits(const char *after)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 2000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_nsec -= 1000000000;
		ts.tv_sec++;
	}
	errno = 1234;
	int r = sem_timedwait(&sem, &ts);
	printf("%s: sem_timedwait(+2ms) = %d %s\n", after, r, r ? ename(errno) : "");
	errno = 1234;
	r = usleep(1000);
	printf("%s: usleep(1ms) = %d errno %d\n", after, r, errno);
	struct timespec ns = {0, 1000000};
	r = nanosleep(&ns, NULL);
	printf("%s: nanosleep(1ms) = %d %s\n", after, r, r ? ename(errno) : "");
	r = poll(NULL, 0, 1);
	printf("%s: poll(t=1ms) = %d %s\n", after, r, r < 0 ? ename(errno) : "");
	struct timeval tv = {0, 1000};
	r = select(0, NULL, NULL, NULL, &tv);
	printf("%s: select(t=1ms) = %d %s\n", after, r, r < 0 ? ename(errno) : "");
}

static void *thread_main(void *arg)
{
	(void)arg;
	sigcount_handled = 0;
	printf("pthread_kill(self) in a thread = %d\n", pthread_kill(pthread_self(), SIGUSR1));
	printf("handled: %s\n", sigcount_handled == 1 ? "yes" : "no");
	waits("thread after self-kill");
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* no check_init: its alarm() would share the itimer */
	ticker_start();
	sem_init(&sem, 0, 0);
	sigcount_install(SIGUSR1, 0);
	sigcount_install(SIGALRM, 0);

	sigcount_handled = 0;
	printf("pthread_kill(self) = %d\n", pthread_kill(pthread_self(), SIGUSR1));
	printf("handled: %s\n", sigcount_handled == 1 ? "yes" : "no");
	waits("after self-kill");

	printf("raise = %d\n", raise(SIGUSR1));
	waits("after raise");

	/* an alarm that comes while the thread computes */
	sigcount_handled = 0;
	struct itimerval it = {{0, 0}, {0, 2000}};
	setitimer(ITIMER_REAL, &it, NULL);
	long t0 = now_ns();
	while (!sigcount_handled && now_ns() - t0 < 2000000000L)
		; /* spin: the signal arrives in user code */
	printf("alarm taken while computing: %s\n", sigcount_handled ? "yes" : "no");
	waits("after alarm");

	pthread_t t;
	pthread_create(&t, NULL, thread_main, NULL);
	pthread_join(t, NULL);
	ticker_stop();
	return finish("signal_taken");
}

/* sigwait_pool.c: a signal every thread of the program blocks is taken by
 * sigwait, never by a handler, even once libgreen's own threads exist.
 *
 * The program first makes calls that start helper threads in libgreen (a
 * name lookup and an fsync, which run on libuv's thread pool), as CPython
 * does reading its modules; then it blocks SIGALRM and SIGUSR1 in every
 * thread it has, installs handlers that must never run, and takes each
 * signal with sigwait / sigtimedwait:
 * natively the kernel can only leave them pending, as every thread blocks
 * them. A helper thread of libgreen's that did not block them would take
 * them and run the handler instead (issue: signals go to libgreen's own
 * threads).
 */
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ticker.h"

static volatile sig_atomic_t handler_ran;

static void handler(int sig)
{
	(void)sig;
	handler_ran = 1;
}

/* Work that libgreen offloads to its thread pool. */
static void start_pool(void)
{
	char buf[4096];
	struct passwd pw, *res = NULL;
	getpwuid_r(getuid(), &pw, buf, sizeof buf, &res);
	char path[] = "/tmp/sigwait_poolXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", ename(errno));
	if (fd >= 0) {
		CHECK(write(fd, "x", 1) == 1, "write");
		CHECK(fsync(fd) == 0, "fsync: %s", ename(errno));
		close(fd);
		unlink(path);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	start_pool();
	return NULL;
}

int main(void)
{
	check_init(30);
	start_pool();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL) == 0, "pthread_sigmask");
	ticker_start();

	struct sigaction sa = { .sa_handler = handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);

	alarm(1);
	int sig = 0;
	expect("sigwait", sigwait(&set, &sig), 0);
	printf("sigwait took: %s\n", sig == SIGALRM ? "SIGALRM" : "another signal");

	kill(getpid(), SIGUSR1);
	struct timespec ts = { 5, 0 };
	siginfo_t si;
	int got = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait took: %s\n", got == SIGUSR1 ? "SIGUSR1" : ename(errno));
	expect_bool("handler ran", handler_ran, false);

	ticker_stop();
	return check_status();
}

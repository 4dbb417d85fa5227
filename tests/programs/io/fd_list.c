/* fd_list: the open fds a process finds by the fstat loop daemons and test
 * suites use to list them (CPython's fd_status.py, "close everything
 * inherited"): natively only what the program opened; under libgreen
 * libgreen's own fds (its hubs' epolls, eventfds, timerfds) must not show
 * up, after threads and a wait have made every hub's fds.
 *
 * Prints the fds from 3 up that fstat() says are open, before and after
 * opening a pipe; the same list from fcntl(F_GETFD) would name libgreen's
 * too (README, limitations), and /proc/self/fd lists them (ditto). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void list(const char* label)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	printf("%s:", label);
	for (int fd = 3; fd < max; fd++) {
		struct stat st;
		if (fstat(fd, &st) == 0)
			printf(" %d", fd);
		else if (errno != EBADF)
			printf(" %d(%s)", fd, ename(errno));
	}
	printf("\n");
}

static void* nap(void* arg)
{
	(void)arg;
	usleep(1000);
	return NULL;
}

int main(void)
{
	check_init(60);
	pthread_t t[4];
	for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, nap, NULL);
	for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
	list("open fds");
	int p[2];
	CHECK(pipe(p) == 0, "pipe: %s", ename(errno));
	list("after pipe");
	struct stat st;
	errno = 0;
	EXPECT_ERR("fstat(-1)", fstat(-1, &st), EBADF);
	EXPECT_RC("fstat(pipe read end) ok", fstat(p[0], &st), 0);
	expect_bool("it is a FIFO", S_ISFIFO(st.st_mode), 1);
	finish("fd_list");
	return check_status();
}

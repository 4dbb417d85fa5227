/* close_all: the daemon start-up idiom "close every fd from 3 up".
 *
 * A daemon that cannot know what it inherited closes every number from 3 to
 * the fd limit (a close() loop, close_range(), or glibc's closefrom()), then
 * goes on with blocking I/O. Natively it closes only its own fds, and every
 * other number fails with EBADF. Under libgreen the hubs hold fds of their
 * own (epolls, a timerfd, libuv's eventfd and pipes): they live at high
 * numbers, out of the program's way, and are not the program's to close
 * (close() of one fails with EBADF, as natively for a number never opened;
 * close_range closes around them). Before, the program's first fds were
 * not 3 and 4, and after the loop its first blocking read hung for ever.
 *
 * Checks, natively and under libgreen alike: the first pipe is fds 3 and 4;
 * the close() loop closes exactly the fds the program opened; a blocking
 * read on a new pipe then works (a writer thread fills it later); the same
 * after close_range(3, ~0U, 0) (made with syscall(): glibc 2.31 has no
 * wrapper) and closefrom(3).
 */
#include "check.h"
#include "clock.h"
#include "net.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436 /* one number on every CPU; Debian 11's headers lack it */
#endif

/* close() every fd from 3 to the soft limit; returns how many were open. */
static int close_loop(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	int closed = 0;
	for (long fd = 3; fd < (long)rl.rlim_cur; fd++)
		if (close((int)fd) == 0)
			closed++;
	return closed;
}

/* After the fds went: a pipe, a thread that writes to it later, a read that blocks. */
static void still_works(const char *after)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe: %s", ename(errno));
	printf("%s: new pipe is fds %d and %d\n", after, p[0], p[1]);
	char what[96];
	snprintf(what, sizeof what, "%s: blocking read", after);
	blocking_read(what, p[0], p[1], 100);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	check_init(60);
	int p[2], q[2];
	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipe: %s", ename(errno));
	printf("first pipes: %d %d, %d %d\n", p[0], p[1], q[0], q[1]);
	int d = dup(p[0]);
	printf("dup: %d\n", d);
	printf("close loop closed %d fds\n", close_loop());
	still_works("after the close loop");

	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipe: %s", ename(errno));
	long r = syscall(SYS_close_range, 3u, ~0u, 0);
	printf("close_range(3, ~0U, 0): %ld %s\n", r, r ? ename(errno) : "");
	char one;
	long n = (long)read(p[0], &one, 1);
	printf("read on a closed fd: %ld %s\n", n, ename(errno));
	still_works("after close_range");

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
	CHECK(pipe(p) == 0, "pipe: %s", ename(errno));
	closefrom(3);
	errno = 0;
	int fl = fcntl(p[0], F_GETFD);
	printf("after closefrom(3), fcntl(%d, F_GETFD): %d %s\n", p[0], fl, ename(errno));
	still_works("after closefrom");
#else
	printf("after closefrom(3), fcntl(3, F_GETFD): -1 EBADF\n");
	still_works("after closefrom");
#endif
	return finish("io_close_all");
}

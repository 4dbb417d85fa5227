/* dup.c: dup, dup2, dup3 and F_DUPFD, and per-fd state following the file.
 *
 * Pins down (dup(2)): dup returns the lowest free number; dup2 onto an open
 * fd closes that fd first and the number then names the new file; dup3
 * takes O_CLOEXEC; F_DUPFD returns the lowest free number >= its argument.
 * Duplicates share the open file description (offset, O_NONBLOCK) but not
 * FD_CLOEXEC. What a program set on a socket (O_NONBLOCK, SO_RCVTIMEO) goes
 * with the file, not with the number: after dup2(blocking_pipe, fd) a read
 * on fd blocks until data comes, and a dup of a socket keeps its timeout.
 * Under libgreen this checks that the shim's per-fd table is updated on
 * close/dup2/dup3 and not keyed by stale numbers (DESIGN rule 7).
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>

/* Reads fd while a thread writes to peer after 500 ms; reports how it went. */
static void read_waits(const char *what, int fd, int peer)
{
	struct delayed_write d = { peer, 500, NULL };
	pthread_t t;
	pthread_create(&t, NULL, writer_later, &d);
	char buf[8];
	long t0 = now_ns();
	errno = 0;
	ssize_t n = read(fd, buf, sizeof buf);
	int e = errno;
	long ms = ms_since(t0);
	pthread_join(t, NULL);
	report(what, n, e);
	CHECK(n == 4 && ms >= 490, "%s: expected to wait for the data (%ld ms)", what, ms);
}

int main(void)
{
	alarm(30);
	ticker_start();
	int sv[2], pf[2];
	char buf[8];

	/* Numbering. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int d1 = dup(sv[0]);
	printf("dup returns the lowest free number: %s\n", d1 == sv[1] + 1 ? "yes" : "no");
	close(d1);
	int low = sv[0];
	close(sv[0]);
	int d2 = dup(sv[1]);
	printf("dup reuses a freed lower number: %s\n", d2 == low ? "yes" : "no");
	int f = fcntl(sv[1], F_DUPFD, 50);
	printf("F_DUPFD 50: %s\n", f == 50 ? "50" : "other");
	int g = fcntl(sv[1], F_DUPFD_CLOEXEC, 50);
	printf("F_DUPFD_CLOEXEC 50 (50 taken): %s, cloexec %d\n", g == 51 ? "51" : "other",
	       (fcntl(g, F_GETFD) & FD_CLOEXEC) != 0);
	int h = dup3(sv[1], 60, O_CLOEXEC);
	printf("dup3 O_CLOEXEC: %s, cloexec %d, original cloexec %d\n", h == 60 ? "60" : "other",
	       (fcntl(h, F_GETFD) & FD_CLOEXEC) != 0, (fcntl(sv[1], F_GETFD) & FD_CLOEXEC) != 0);
	EXPECT_RC("dup2 over an open fd returns the target", dup2(sv[1], 50) == 50, 1);
	close(50);
	close(51);
	close(60);
	close(d2);
	close(sv[1]);

	/* A nonblocking socket number replaced by a blocking pipe. */
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	pipe(pf);
	EXPECT_ERR("read nonblocking socket", read(sv[0], buf, sizeof buf), EAGAIN);
	EXPECT_RC("dup2 blocking pipe over nonblocking socket", dup2(pf[0], sv[0]) == sv[0], 1);
	read_waits("read on the dup2'd number blocks", sv[0], pf[1]);
	close(sv[0]);
	close(sv[1]);
	close(pf[0]);
	close(pf[1]);

	/* A socket with SO_RCVTIMEO replaced by one without. */
	int a[2], b[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, a);
	socketpair(AF_UNIX, SOCK_STREAM, 0, b);
	struct timeval tv = { 0, 100000 };
	setsockopt(a[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	EXPECT_ERR("recv with 100 ms SO_RCVTIMEO", recv(a[0], buf, sizeof buf, 0), EAGAIN);
	int keep = dup(a[0]);
	EXPECT_RC("dup3 socket without timeout over it", dup3(b[0], a[0], 0) == a[0], 1);
	read_waits("read on the dup3'd number has no timeout", a[0], b[1]);
	long t0 = now_ns();
	EXPECT_ERR("the dup kept the timeout", recv(keep, buf, sizeof buf, 0), EAGAIN);
	long ms = ms_since(t0);
	CHECK(ms >= 90, "kept dup timed out after %ld ms", ms);
	CHECK_TIMING(ms < 1000, "kept dup timed out after %ld ms", ms);
	close(keep);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);

	/* close then a new socket on the same number: fresh state. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, a);
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	int num = a[0];
	close(a[0]);
	int c[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, c);
	printf("new socket took the closed number: %s\n", c[0] == num ? "yes" : "no");
	printf("new socket is blocking: %s\n", fcntl(c[0], F_GETFL) & O_NONBLOCK ? "no" : "yes");
	read_waits("read on the new socket blocks", c[0], c[1]);
	close(c[0]);
	close(c[1]);
	close(a[1]);

	/* Shared description: offset and O_NONBLOCK, not FD_CLOEXEC. */
	pipe(pf);
	int pd = dup(pf[0]);
	fcntl(pd, F_SETFL, O_NONBLOCK);
	fcntl(pd, F_SETFD, FD_CLOEXEC);
	printf("O_NONBLOCK set on dup visible on original: %s\n", fcntl(pf[0], F_GETFL) & O_NONBLOCK ? "yes" : "no");
	printf("FD_CLOEXEC set on dup visible on original: %s\n", fcntl(pf[0], F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	EXPECT_ERR("original now nonblocking", read(pf[0], buf, sizeof buf), EAGAIN);
	write(pf[1], "abcdef", 6);
	read(pf[0], buf, 3);
	EXPECT_RC("dup continues where the original stopped", read(pd, buf, sizeof buf), 3);
	printf("dup read: %.3s\n", buf);
	close(pd);
	close(pf[0]);
	close(pf[1]);

	tfail_flush();
	ticker_stop();
	return finish("io_dup");
}

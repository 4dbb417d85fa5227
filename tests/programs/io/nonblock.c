/* nonblock.c: O_NONBLOCK as the program sets and sees it.
 *
 * Pins down: a program can make an fd non-blocking with fcntl(F_SETFL),
 * ioctl(FIONBIO), SOCK_NONBLOCK at socket()/socketpair()/accept4() time, or
 * pipe2(O_NONBLOCK); its calls then return EAGAIN (or EINPROGRESS for
 * connect) immediately, and F_GETFL shows exactly the flags it set. A socket
 * the program never made non-blocking shows no O_NONBLOCK, even after it has
 * blocked in calls (libgreen makes the kernel fd non-blocking internally and
 * must hide that: DESIGN rule 4). File status flags belong to the open file
 * description (fcntl(2)), so a dup shares them. accept() on Linux does not
 * inherit O_NONBLOCK from the listener (accept(2) NOTES).
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

/* Prints F_GETFL decoded into the flags a socket or pipe can carry. */
static int show_fl(const char *what, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	char buf[128] = "";
	int acc = fl & O_ACCMODE;
	strcat(buf, acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR");
	if (fl & O_NONBLOCK)
		strcat(buf, "|O_NONBLOCK");
	if (fl & O_APPEND)
		strcat(buf, "|O_APPEND");
	if (fl & O_ASYNC)
		strcat(buf, "|O_ASYNC");
	int rest = fl & ~(O_ACCMODE | O_NONBLOCK | O_APPEND | O_ASYNC);
	if (rest)
		sprintf(buf + strlen(buf), "|0x%x", rest);
	printf("%s F_GETFL: %s\n", what, buf);
	return fl;
}

static void show_fd(const char *what, int fd)
{
	int fdfl = fcntl(fd, F_GETFD);
	printf("%s F_GETFD: %s\n", what, fdfl & FD_CLOEXEC ? "FD_CLOEXEC" : "0");
}

/* Checks that a call returning EAGAIN did so without waiting. */
#define EXPECT_NOW(what, call, want)                                           \
	do {                                                                   \
		long t0_ = now_ns();                                           \
		EXPECT_ERR(what, call, want);                                  \
		long ms_ = ms_since(t0_);                                      \
		CHECK(ms_ < 100, "%s waited %ld ms", what, ms_);               \
	} while (0)

static void test_fcntl(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	char buf[8];
	show_fl("socketpair", sv[0]);
	blocking_read("blocking read", sv[0], sv[1], 500);
	show_fl("socketpair after blocking read", sv[0]);

	int fl = fcntl(sv[0], F_GETFL);
	EXPECT_RC("F_SETFL O_NONBLOCK", fcntl(sv[0], F_SETFL, fl | O_NONBLOCK), 0);
	show_fl("after F_SETFL", sv[0]);
	EXPECT_NOW("read nonblocking", read(sv[0], buf, sizeof buf), EAGAIN);
	EXPECT_NOW("recv nonblocking", recv(sv[0], buf, sizeof buf, 0), EAGAIN);

	int d = dup(sv[0]);
	show_fl("dup of nonblocking", d);
	EXPECT_NOW("read on dup", read(d, buf, sizeof buf), EAGAIN);
	EXPECT_RC("F_SETFL 0 on dup", fcntl(d, F_SETFL, fl & ~O_NONBLOCK), 0);
	show_fl("original after dup cleared it", sv[0]);
	blocking_read("blocking read after clear", sv[0], sv[1], 500);
	close(d);

	/* Filling a non-blocking socket: send returns EAGAIN, not a block. */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	static char junk[4096];
	long total = 0;
	int i;
	for (i = 0; i < 100000; i++) {
		ssize_t n = send(sv[1], junk, sizeof junk, 0);
		if (n < 0)
			break;
		total += n;
	}
	CHECK(i < 100000 && errno == EAGAIN, "filling a nonblocking socket: %s", ename(errno));
	printf("fill nonblocking socket: stopped with %s\n", ename(errno));
	fprintf(stderr, "unix socket took %ld bytes\n", total);
	close(sv[0]);
	close(sv[1]);
}

static void test_fionbio(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	char buf[8];
	int on = 1, off = 0;
	EXPECT_RC("ioctl FIONBIO 1", ioctl(sv[0], FIONBIO, &on), 0);
	show_fl("after FIONBIO 1", sv[0]);
	EXPECT_NOW("recv after FIONBIO", recv(sv[0], buf, sizeof buf, 0), EAGAIN);
	EXPECT_RC("ioctl FIONBIO 0", ioctl(sv[0], FIONBIO, &off), 0);
	show_fl("after FIONBIO 0", sv[0]);
	blocking_read("blocking read after FIONBIO 0", sv[0], sv[1], 500);
	close(sv[0]);
	close(sv[1]);
}

static void test_sock_nonblock(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	char buf[8];
	show_fl("socketpair SOCK_NONBLOCK", sv[0]);
	EXPECT_NOW("read SOCK_NONBLOCK", read(sv[0], buf, sizeof buf), EAGAIN);
	close(sv[0]);
	close(sv[1]);

	/* Non-blocking listener: accept returns EAGAIN. */
	struct sockaddr_in a;
	int l = tcp_listener_flags(SOCK_NONBLOCK, 8, &a);
	show_fl("listener SOCK_NONBLOCK", l);
	EXPECT_NOW("accept on nonblocking listener", accept(l, NULL, NULL), EAGAIN);

	/* Non-blocking connect to a listener on loopback: EINPROGRESS, then POLLOUT. */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	show_fl("socket SOCK_NONBLOCK", c);
	EXPECT_NOW("connect nonblocking", connect(c, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
	struct pollfd p = { c, POLLOUT, 0 };
	EXPECT_RC("poll connecting socket", poll(&p, 1, 2000), 1);
	printf("connect revents: 0x%x\n", p.revents);
	int err = -1;
	socklen_t len = sizeof err;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("connect SO_ERROR: %s\n", ename(err));

	/* accept from a non-blocking listener: the new fd is blocking. */
	p = (struct pollfd){ l, POLLIN, 0 };
	poll(&p, 1, 2000);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept pending: %s", ename(errno));
	show_fl("accept() from nonblocking listener", s);
	blocking_read("blocking read on accepted", s, c, 500);
	EXPECT_NOW("read on SOCK_NONBLOCK client", read(c, buf, sizeof buf), EAGAIN);
	close(s);
	close(c);

	/* accept4 flags. */
	c = tcp_connect(&a);
	poll(&p, 1, 2000);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	CHECK(s >= 0, "accept4: %s", ename(errno));
	show_fl("accept4 SOCK_NONBLOCK", s);
	show_fd("accept4 SOCK_NONBLOCK", s);
	EXPECT_NOW("recv on accept4 SOCK_NONBLOCK", recv(s, buf, sizeof buf, 0), EAGAIN);
	close(s);
	close(c);

	c = tcp_connect(&a);
	poll(&p, 1, 2000);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	show_fl("accept4 SOCK_CLOEXEC", s);
	show_fd("accept4 SOCK_CLOEXEC", s);
	blocking_read("blocking read on accept4 SOCK_CLOEXEC", s, c, 500);
	close(s);
	close(c);

	c = tcp_connect(&a);
	poll(&p, 1, 2000);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	show_fl("accept4 both", s);
	show_fd("accept4 both", s);
	close(s);
	close(c);

	/* Clearing O_NONBLOCK on the listener makes accept block again. */
	fcntl(l, F_SETFL, fcntl(l, F_GETFL) & ~O_NONBLOCK);
	show_fl("listener after clear", l);
	close(l);
}

static void test_pipe(void)
{
	int pf[2];
	char buf[8];
	EXPECT_RC("pipe2 O_NONBLOCK", pipe2(pf, O_NONBLOCK), 0);
	show_fl("pipe2 read end", pf[0]);
	show_fl("pipe2 write end", pf[1]);
	EXPECT_NOW("read empty nonblocking pipe", read(pf[0], buf, sizeof buf), EAGAIN);
	static char junk[4096];
	long total = 0;
	for (int i = 0; i < 1000; i++) {
		ssize_t n = write(pf[1], junk, sizeof junk);
		if (n < 0)
			break;
		total += n;
	}
	printf("nonblocking pipe filled with %ld bytes, then %s\n", total, ename(errno));
	close(pf[0]);
	close(pf[1]);

	EXPECT_RC("pipe", pipe(pf), 0);
	show_fl("pipe read end", pf[0]);
	show_fl("pipe write end", pf[1]);
	show_fd("pipe read end", pf[0]);
	blocking_read("blocking pipe read", pf[0], pf[1], 500);
	show_fl("pipe read end after blocking read", pf[0]);
	close(pf[0]);
	close(pf[1]);

	EXPECT_RC("pipe2 O_CLOEXEC", pipe2(pf, O_CLOEXEC), 0);
	show_fl("pipe2 O_CLOEXEC read end", pf[0]);
	show_fd("pipe2 O_CLOEXEC read end", pf[0]);
	close(pf[0]);
	close(pf[1]);
}

static void test_dontwait(void)
{
	int c, s;
	tcp_pair(&c, &s);
	char buf[8];
	EXPECT_NOW("recv MSG_DONTWAIT on blocking socket", recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	show_fl("blocking socket after MSG_DONTWAIT", s);
	blocking_read("blocking read after MSG_DONTWAIT", s, c, 500);
	show_fl("tcp accepted socket", s);
	show_fl("tcp connected socket", c);
	close(c);
	close(s);
}

int main(void)
{
	alarm(30);
	ticker_start();
	test_fcntl();
	test_fionbio();
	test_sock_nonblock();
	test_pipe();
	test_dontwait();
	ticker_stop();
	return finish("io_nonblock");
}

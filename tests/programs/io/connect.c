/* connect.c: connect(2) outcomes on loopback and SO_ERROR.
 *
 * Pins down: a blocking connect to a listening socket succeeds; to a port that
 * is bound but not listening it fails with ECONNREFUSED (the kernel answers
 * the SYN with RST); a second connect on a connected socket gives EISCONN.
 * Non-blocking: EINPROGRESS, then poll reports the outcome and
 * getsockopt(SO_ERROR) returns it once (reading SO_ERROR clears it, socket(7));
 * calling connect again after a non-blocking connect completed returns 0 once
 * and EISCONN after that (the idiom some programs use instead of SO_ERROR).
 * AF_UNIX: a missing path gives ENOENT, a bound non-listening one
 * ECONNREFUSED. Under libgreen a blocking connect is emulated with a
 * non-blocking one plus a wait, so the errno and SO_ERROR must match.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <poll.h>
#include <stddef.h>
#include <sys/un.h>

/* A loopback TCP port that is bound (so nobody else takes it) but not listening. */
static int dead_port(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	*a = (struct sockaddr_in){ .sin_family = AF_INET };
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *a;
	bind(fd, (struct sockaddr *)a, sizeof *a);
	getsockname(fd, (struct sockaddr *)a, &len);
	return fd;
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -1;
	return err;
}

static void *delayed_accept(void *arg)
{
	int l = *(int *)arg;
	sleep_ms(400);
	int s = accept(l, NULL, NULL);
	if (s < 0)
		tfail("accept: %s", ename(errno));
	else if (write(s, "hi", 2) != 2)
		tfail("write: %s", ename(errno));
	else
		close(s);
	return NULL;
}

int main(void)
{
	alarm(30);
	ticker_start();
	struct sockaddr_in dead, live;
	int holder = dead_port(&dead);
	int l = tcp_listener(8, &live);

	/* Blocking, refused. */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_ERR("connect to bound non-listening port", connect(c, (struct sockaddr *)&dead, sizeof dead),
		   ECONNREFUSED);
	printf("SO_ERROR after refused blocking connect: %s\n", ename(so_error(c)));
	close(c);

	/* Blocking, success; the server accepts later (the handshake completes in the kernel). */
	pthread_t t;
	pthread_create(&t, NULL, delayed_accept, &l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_RC("connect to listener", connect(c, (struct sockaddr *)&live, sizeof live), 0);
	printf("SO_ERROR after connect: %s\n", ename(so_error(c)));
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	getpeername(c, (struct sockaddr *)&peer, &plen);
	printf("getpeername is the listener: %s\n",
	       peer.sin_port == live.sin_port && peer.sin_addr.s_addr == live.sin_addr.s_addr ? "yes" : "no");
	EXPECT_ERR("connect again", connect(c, (struct sockaddr *)&live, sizeof live), EISCONN);
	char buf[4];
	EXPECT_RC("read greeting (waits for delayed accept)", read_full(c, buf, 2), 2);
	pthread_join(t, NULL);
	close(c);

	/* Non-blocking, refused. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	int r = connect(c, (struct sockaddr *)&dead, sizeof dead);
	int e = errno;
	printf("nonblocking connect refused: %d %s\n", r, r ? ename(e) : "0");
	CHECK(r == -1 && (e == EINPROGRESS || e == ECONNREFUSED), "nonblocking refused connect");
	if (e == EINPROGRESS) {
		struct pollfd p = { c, POLLOUT, 0 };
		EXPECT_RC("poll refused socket", poll(&p, 1, 2000), 1);
		printf("revents: 0x%x\n", p.revents);
		printf("SO_ERROR: %s\n", ename(so_error(c)));
	}
	printf("SO_ERROR read again: %s\n", ename(so_error(c)));
	close(c);

	/* Non-blocking, success. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	EXPECT_ERR("nonblocking connect to listener", connect(c, (struct sockaddr *)&live, sizeof live),
		   EINPROGRESS);
	struct pollfd p = { c, POLLOUT, 0 };
	EXPECT_RC("poll connecting socket", poll(&p, 1, 2000), 1);
	printf("revents: 0x%x\n", p.revents);
	printf("SO_ERROR: %s\n", ename(so_error(c)));
	/* The "call connect again to learn the outcome" idiom: Linux reports success once (0), then EISCONN. */
	EXPECT_RC("connect again after completion", connect(c, (struct sockaddr *)&live, sizeof live), 0);
	EXPECT_ERR("connect a third time", connect(c, (struct sockaddr *)&live, sizeof live), EISCONN);
	int s = accept(l, NULL, NULL);
	close(s);
	close(c);

	/* Wrong family / bad address length. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_ERR("connect short addrlen", connect(c, (struct sockaddr *)&live, 4), EINVAL);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	EXPECT_ERR("connect AF_UNIX addr on inet socket",
		   connect(c, (struct sockaddr *)&un, sizeof un), EAFNOSUPPORT);
	close(c);

	/* AF_UNIX (abstract names include the pid so parallel runs do not collide). */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(un.sun_path, sizeof un.sun_path, "/nonexistent/io_connect_%d", (int)getpid());
	EXPECT_ERR("unix connect missing path", connect(c, (struct sockaddr *)&un, sizeof un), ENOENT);
	close(c);
	int ub = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(un.sun_path, 0, sizeof un.sun_path);
	snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "io_connect_%d", (int)getpid());
	socklen_t ulen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(un.sun_path + 1));
	bind(ub, (struct sockaddr *)&un, ulen);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_ERR("unix connect bound non-listening", connect(c, (struct sockaddr *)&un, ulen), ECONNREFUSED);
	close(c);
	listen(ub, 4);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_RC("unix connect listening", connect(c, (struct sockaddr *)&un, ulen), 0);
	close(c);
	close(ub);

	close(l);
	close(holder);
	ticker_stop();
	return finish("io_connect");
}

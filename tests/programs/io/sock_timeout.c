/* sock_timeout.c: SO_RCVTIMEO / SO_SNDTIMEO on blocking sockets.
 *
 * socket(7): "If a blocking call times out, it returns -1 with errno EAGAIN
 * (or EWOULDBLOCK, or EINPROGRESS for connect) ... as if the socket was
 * non-blocking." The timeout applies to recv/read/recvfrom, to accept on a
 * listener (SO_RCVTIMEO) and to send on a full buffer (SO_SNDTIMEO); a
 * timeout of zero means "never". Under libgreen the fd is non-blocking in the
 * kernel, so the shim must emulate these timeouts itself, and getsockopt must
 * still report the values the program set. Elapsed times are checked against
 * loose bounds; only pass/fail reaches stdout.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <sys/uio.h>

#define TMO_MS 400

static void set_tmo(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) != 0)
		FAIL("setsockopt: %s", ename(errno));
}

/* Checks that a call that should time out took about TMO_MS. */
static void check_elapsed(const char *what, long ms)
{
	fprintf(stderr, "%s: %ld ms\n", what, ms);
	if (ms < TMO_MS - 10 || ms > TMO_MS + 1000)
		FAIL("%s took %ld ms, expected about %d ms", what, ms, TMO_MS);
	else
		printf("%s: elapsed ok\n", what);
}

static void test_getsockopt(int fd)
{
	set_tmo(fd, SO_RCVTIMEO, TMO_MS);
	set_tmo(fd, SO_SNDTIMEO, 1500);
	struct timeval tv;
	socklen_t len = sizeof tv;
	getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	printf("getsockopt SO_RCVTIMEO: %ld.%06ld len %u\n", (long)tv.tv_sec, (long)tv.tv_usec, len);
	len = sizeof tv;
	getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len);
	printf("getsockopt SO_SNDTIMEO: %ld.%06ld len %u\n", (long)tv.tv_sec, (long)tv.tv_usec, len);
}

static void test_recv_read(void)
{
	int c, s;
	tcp_pair(&c, &s);
	test_getsockopt(s);
	char buf[16];

	long t0 = now_ns();
	EXPECT_ERR("recv timeout", recv(s, buf, sizeof buf, 0), EAGAIN);
	check_elapsed("recv timeout", ms_since(t0));

	t0 = now_ns();
	EXPECT_ERR("read timeout", read(s, buf, sizeof buf), EAGAIN);
	check_elapsed("read timeout", ms_since(t0));

	struct iovec iov = { buf, sizeof buf };
	t0 = now_ns();
	EXPECT_ERR("readv timeout", readv(s, &iov, 1), EAGAIN);
	check_elapsed("readv timeout", ms_since(t0));

	/* Data arriving before the timeout is returned normally. */
	struct delayed_write d = { c, 100, NULL };
	pthread_t t;
	pthread_create(&t, NULL, writer_later, &d);
	EXPECT_RC("recv data before timeout", recv(s, buf, sizeof buf, 0), 4);
	pthread_join(t, NULL);

	/* Data already queued: no wait at all. */
	write(c, "now!", 4);
	t0 = now_ns();
	EXPECT_RC("recv queued data", recv(s, buf, sizeof buf, 0), 4);
	CHECK(ms_since(t0) < 100, "recv of queued data waited");

	/* A zero timeout means block forever: data arrives after 600 ms. */
	set_tmo(s, SO_RCVTIMEO, 0);
	d.delay_ms = 600;
	pthread_create(&t, NULL, writer_later, &d);
	t0 = now_ns();
	EXPECT_RC("recv zero timeout (infinite)", recv(s, buf, sizeof buf, 0), 4);
	long ms = ms_since(t0);
	CHECK(ms >= 590, "zero-timeout recv returned after %ld ms", ms);
	pthread_join(t, NULL);

	/* Peer EOF before the timeout: 0, not EAGAIN. */
	set_tmo(s, SO_RCVTIMEO, TMO_MS);
	close(c);
	EXPECT_RC("recv after peer close", recv(s, buf, sizeof buf, 0), 0);
	close(s);
}

static void test_udp(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(u, (struct sockaddr *)&a, sizeof a);
	set_tmo(u, SO_RCVTIMEO, TMO_MS);
	char buf[16];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	long t0 = now_ns();
	EXPECT_ERR("udp recvfrom timeout", recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen),
		   EAGAIN);
	check_elapsed("udp recvfrom timeout", ms_since(t0));
	close(u);
}

static void test_accept(void)
{
	struct sockaddr_in a;
	int l = tcp_listener(4, &a);
	set_tmo(l, SO_RCVTIMEO, TMO_MS);
	long t0 = now_ns();
	EXPECT_ERR("accept timeout", accept(l, NULL, NULL), EAGAIN);
	check_elapsed("accept timeout", ms_since(t0));
	int c = tcp_connect(&a);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept with pending connection: %s", ename(errno));
	/* Linux copies the listener's timeouts to the accepted socket (sk_clone). */
	struct timeval tv;
	socklen_t len = sizeof tv;
	getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	printf("accepted socket SO_RCVTIMEO: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	char buf[4];
	t0 = now_ns();
	EXPECT_ERR("accepted socket recv timeout", recv(s, buf, sizeof buf, 0), EAGAIN);
	check_elapsed("accepted socket recv timeout", ms_since(t0));
	close(s);
	close(c);
	close(l);
}

/* Fills fd's send path (peer never reads) using MSG_DONTWAIT; returns bytes queued. */
static long fill(int fd)
{
	static char junk[65536];
	long total = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100000; i++) {
			ssize_t n = send(fd, junk, sizeof junk, MSG_DONTWAIT);
			if (n < 0)
				break;
			total += n;
		}
		sleep_ms(50);
	}
	return total;
}

static void test_send(const char *label, int fd)
{
	long queued = fill(fd);
	fprintf(stderr, "%s: queued %ld bytes before full\n", label, queued);
	CHECK(queued > 0, "%s: nothing queued", label);
	set_tmo(fd, SO_SNDTIMEO, TMO_MS);
	static char more[65536];
	char what[64];
	snprintf(what, sizeof what, "%s send full timeout", label);
	long t0 = now_ns();
	EXPECT_ERR(what, send(fd, more, sizeof more, 0), EAGAIN);
	check_elapsed(what, ms_since(t0));
	snprintf(what, sizeof what, "%s write full timeout", label);
	set_tmo(fd, SO_SNDTIMEO, 0);
	fill(fd);
	set_tmo(fd, SO_SNDTIMEO, TMO_MS);
	t0 = now_ns();
	EXPECT_ERR(what, write(fd, more, sizeof more), EAGAIN);
	check_elapsed(what, ms_since(t0));
}

int main(void)
{
	alarm(30);
	ticker_start();
	test_recv_read();
	test_udp();
	test_accept();

	/* Fixed buffer sizes turn TCP autotuning off, so "full" stays full. */
	int c, s, sz = 65536;
	tcp_pair(&c, &s);
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	test_send("tcp", c);
	close(c);
	close(s);

	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	test_send("unix", sv[0]);
	close(sv[0]);
	close(sv[1]);

	ticker_stop();
	return finish("io_sock_timeout");
}

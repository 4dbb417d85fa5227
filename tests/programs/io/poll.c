/* poll.c: poll(2) and ppoll(2) readiness, timeouts and revents.
 *
 * Pins down: timeout 0 returns 0 at once; a short timeout returns 0 after at
 * least that long; -1 waits until another thread makes an fd ready; the
 * return value counts pollfds with non-zero revents; POLLIN/POLLOUT/POLLHUP
 * are reported as the kernel reports them, POLLNVAL for a closed fd, and a
 * negative fd is ignored (revents 0). ppoll takes a timespec and a signal
 * mask, and does not modify the timespec it was given (glibc copies it).
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <poll.h>
#include <signal.h>

static void *closer_later(void *arg)
{
	struct delayed_write *d = arg;
	sleep_ms(d->delay_ms);
	close(d->fd);
	return NULL;
}

static void check_timeout(const char *what, long ms, long want)
{
	fprintf(stderr, "%s: %ld ms\n", what, ms);
	CHECK(ms >= want, "%s took %ld ms, want %ld", what, ms, want);
	CHECK_TIMING(ms < want + 500, "%s took %ld ms, want %ld", what, ms, want);
}

int main(void)
{
	alarm(30);
	ticker_start();
	int sv[2], pf[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	char buf[8];

	/* Nothing ready, timeout 0. */
	struct pollfd p[3] = { { sv[0], POLLIN, 0 }, { pf[0], POLLIN, 0 }, { -1, POLLIN, 0 } };
	long t0 = now_ns();
	EXPECT_RC("poll timeout 0", poll(p, 3, 0), 0);
	CHECK(ms_since(t0) < 100, "poll timeout 0 waited");
	printf("revents: 0x%x 0x%x 0x%x\n", p[0].revents, p[1].revents, p[2].revents);

	/* Short timeout. */
	t0 = now_ns();
	EXPECT_RC("poll timeout 50", poll(p, 3, 50), 0);
	check_timeout("poll timeout 50", ms_since(t0), 50);

	/* Writable socket: POLLOUT counted once per pollfd. */
	struct pollfd q[2] = { { sv[0], POLLIN | POLLOUT, 0 }, { sv[1], POLLOUT, 0 } };
	EXPECT_RC("poll writable", poll(q, 2, 1000), 2);
	printf("revents: 0x%x 0x%x\n", q[0].revents, q[1].revents);

	/* Ready data: both sockets and pipe. */
	write(sv[1], "ab", 2);
	write(pf[1], "c", 1);
	EXPECT_RC("poll two readable", poll(p, 3, 1000), 2);
	printf("revents: 0x%x 0x%x 0x%x\n", p[0].revents, p[1].revents, p[2].revents);
	read(sv[0], buf, sizeof buf);
	read(pf[0], buf, sizeof buf);

	/* Infinite timeout, data from another thread after 500 ms. */
	struct delayed_write d = { pf[1], 500, "x" };
	pthread_t t;
	pthread_create(&t, NULL, writer_later, &d);
	t0 = now_ns();
	EXPECT_RC("poll -1 until data", poll(p, 3, -1), 1);
	check_timeout("poll -1", ms_since(t0), 490);
	printf("revents: 0x%x 0x%x 0x%x\n", p[0].revents, p[1].revents, p[2].revents);
	pthread_join(t, NULL);
	read(pf[0], buf, sizeof buf);

	/* Long timeout cut short by data. */
	d = (struct delayed_write){ sv[1], 400, "x" };
	pthread_create(&t, NULL, writer_later, &d);
	t0 = now_ns();
	EXPECT_RC("poll 5000 until data", poll(p, 1, 5000), 1);
	check_timeout("poll 5000 until data", ms_since(t0), 390);
	pthread_join(t, NULL);
	read(sv[0], buf, sizeof buf);

	/* Peer closes while we wait: POLLIN|POLLHUP on a unix socket, POLLHUP on a pipe. */
	d = (struct delayed_write){ pf[1], 400, "x" };
	pthread_create(&t, NULL, closer_later, &d);
	EXPECT_RC("poll until pipe writer closes", poll(&p[1], 1, 5000), 1);
	printf("pipe hangup revents: 0x%x\n", p[1].revents);
	pthread_join(t, NULL);
	d = (struct delayed_write){ sv[1], 400, "x" };
	pthread_create(&t, NULL, closer_later, &d);
	EXPECT_RC("poll until socket peer closes", poll(&p[0], 1, 5000), 1);
	printf("socket hangup revents: 0x%x\n", p[0].revents);
	pthread_join(t, NULL);
	EXPECT_RC("read at EOF", read(sv[0], buf, sizeof buf), 0);

	/* A closed fd gives POLLNVAL and counts. */
	int closed = dup(sv[0]);
	close(closed);
	struct pollfd n[2] = { { closed, POLLIN, 0 }, { sv[0], 0, 0 } };
	EXPECT_RC("poll closed fd", poll(n, 2, 0), 2);
	printf("revents: 0x%x 0x%x\n", n[0].revents, n[1].revents);
	close(sv[0]);
	close(pf[0]);

	/* poll with no fds is a sleep. */
	t0 = now_ns();
	EXPECT_RC("poll(NULL, 0, 100)", poll(NULL, 0, 100), 0);
	check_timeout("poll(NULL, 0, 100)", ms_since(t0), 100);

	/* ppoll. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct pollfd r = { sv[0], POLLIN, 0 };
	struct timespec ts = { 0, 0 };
	EXPECT_RC("ppoll timeout 0", ppoll(&r, 1, &ts, NULL), 0);
	ts = (struct timespec){ 0, 80 * 1000000L };
	t0 = now_ns();
	EXPECT_RC("ppoll timeout 80ms", ppoll(&r, 1, &ts, NULL), 0);
	check_timeout("ppoll timeout 80ms", ms_since(t0), 80);
	printf("ppoll timespec after: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	d = (struct delayed_write){ sv[1], 500, "x" };
	pthread_create(&t, NULL, writer_later, &d);
	t0 = now_ns();
	EXPECT_RC("ppoll NULL timeout until data", ppoll(&r, 1, NULL, &mask), 1);
	check_timeout("ppoll NULL timeout", ms_since(t0), 490);
	printf("revents: 0x%x\n", r.revents);
	pthread_join(t, NULL);
	ts = (struct timespec){ 3, 0 };
	EXPECT_RC("ppoll data already there", ppoll(&r, 1, &ts, &mask), 1);
	printf("ppoll timespec after: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	printf("mask restored after ppoll: %s\n", sigismember(&cur, SIGUSR1) ? "no" : "yes");
	close(sv[0]);
	close(sv[1]);

	ticker_stop();
	return finish("io_poll");
}

/* fd_cache.c: what a blocking call sees after the fd's state changes behind
 * an earlier wait.
 *
 * Pins down: O_NONBLOCK belongs to the open file description (fcntl(2)), so
 * F_SETFL or ioctl(FIONBIO) through one number (a dup, dup2, F_DUPFD, or a
 * raw syscall) changes what a read on every other number of it does; a
 * socket's SO_RCVTIMEO / SO_SNDTIMEO (socket(7)) apply from the next call on,
 * even when set after the socket already blocked once, and setting zero
 * removes them; a closed number that the next socket() or pipe() reuses is a
 * new file with its own flags: it blocks or not, and wakes for its own data,
 * as the new file says. Every blocking read here first blocked on the same
 * number once (libgreen remembers O_NONBLOCK, the timeouts and its epoll
 * registration per number: those must not go stale). Writers are other
 * threads; some close and reuse the number from another thread.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#define DELAY_MS 350 /* longer than the ticker's threshold */
#define TMO_MS 400


/* A read on fd fails with EAGAIN at once. */
static void nowait_read(const char *what, int fd)
{
	char buf[8];
	long t0 = now_ns();
	EXPECT_ERR(what, read(fd, buf, sizeof buf), EAGAIN);
	long ms = ms_since(t0);
	CHECK(ms < 100, "%s waited %ld ms", what, ms);
}

/* A read on fd fails with EAGAIN after about TMO_MS. */
static void timed_read(const char *what, int fd)
{
	char buf[8];
	long t0 = now_ns();
	EXPECT_ERR(what, read(fd, buf, sizeof buf), EAGAIN);
	long ms = ms_since(t0);
	fprintf(stderr, "%s: %ld ms\n", what, ms);
	CHECK(ms >= TMO_MS - 10 && ms < TMO_MS + 1000, "%s took %ld ms, expected about %d", what, ms,
	      TMO_MS);
}

static void set_tmo(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	EXPECT_RC("setsockopt timeout", setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv), 0);
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		perror("socketpair");
		exit(2);
	}
}

static int nonblock_via(int how, int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	int want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	switch (how) {
	case 0:
		return fcntl(fd, F_SETFL, want);
	case 1:
		return ioctl(fd, FIONBIO, &on);
	default:
		return (int)syscall(SYS_fcntl, fd, F_SETFL, want);
	}
}

static const char *how_name[] = { "F_SETFL", "FIONBIO", "syscall(SYS_fcntl)" };

/* O_NONBLOCK set and cleared through another number of the description. */
static void test_shared_nonblock(int how)
{
	int sv[2];
	pair(sv);
	char what[128];
	snprintf(what, sizeof what, "%s: read before", how_name[how]);
	blocking_read(what, sv[0], sv[1], DELAY_MS);

	int d[3];
	d[0] = dup(sv[0]);
	d[1] = fcntl(sv[0], F_DUPFD, 20);
	d[2] = dup2(sv[0], 30);
	for (int i = 0; i < 3; i++) {
		EXPECT_RC("set O_NONBLOCK through alias", nonblock_via(how, d[i], 1), 0);
		snprintf(what, sizeof what, "%s: read on original after alias %d set it", how_name[how], i);
		nowait_read(what, sv[0]);
		for (int j = 0; j < 3; j++) {
			snprintf(what, sizeof what, "%s: read on alias %d", how_name[how], j);
			nowait_read(what, d[j]);
		}
		EXPECT_RC("clear O_NONBLOCK through original", nonblock_via(how, sv[0], 0), 0);
		snprintf(what, sizeof what, "%s: read on alias %d after original cleared it", how_name[how], i);
		blocking_read(what, d[i], sv[1], DELAY_MS);
	}
	snprintf(what, sizeof what, "%s: read on original after clear", how_name[how]);
	blocking_read(what, sv[0], sv[1], DELAY_MS);
	for (int i = 0; i < 3; i++)
		close(d[i]);
	close(sv[0]);
	close(sv[1]);
}

/* A receive timeout set after the socket blocked once, also through a dup,
 * also by a raw syscall; zero removes it. */
static void test_rcvtimeo_later(void)
{
	int sv[2];
	pair(sv);
	blocking_read("rcvtimeo: read before any timeout", sv[0], sv[1], DELAY_MS);
	set_tmo(sv[0], SO_RCVTIMEO, TMO_MS);
	timed_read("rcvtimeo: read after setting it", sv[0]);
	set_tmo(sv[0], SO_RCVTIMEO, 0);
	blocking_read("rcvtimeo: read after clearing it", sv[0], sv[1], DELAY_MS);

	int d = dup(sv[0]);
	set_tmo(d, SO_RCVTIMEO, TMO_MS);
	timed_read("rcvtimeo: read on original, set through dup", sv[0]);
	set_tmo(d, SO_RCVTIMEO, 0);
	blocking_read("rcvtimeo: read on original, cleared through dup", sv[0], sv[1], DELAY_MS);

	struct timeval tv = { 0, TMO_MS * 1000 };
	EXPECT_RC("syscall(SYS_setsockopt) SO_RCVTIMEO",
		  syscall(SYS_setsockopt, d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	timed_read("rcvtimeo: read on original, set by raw syscall", sv[0]);
	close(d);
	close(sv[0]);
	close(sv[1]);
}

struct drain {
	int fd;
	long delay_ms;
	long want;
};

static void *drain_later(void *arg)
{
	struct drain *d = arg;
	sleep_ms(d->delay_ms);
	static char sink[65536];
	long got = 0;
	while (got < d->want) {
		ssize_t n = read(d->fd, sink, sizeof sink);
		if (n <= 0) {
			tfail("drain: %s", ename(errno));
			break;
		}
		got += n;
	}
	return NULL;
}

/* Fills fd's send side with MSG_DONTWAIT; returns the bytes queued. */
static long fill(int fd)
{
	static char junk[4096];
	long total = 0;
	for (;;) {
		ssize_t n = send(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n < 0)
			return total;
		total += n;
	}
}

/* A send timeout set after the socket blocked once on a full buffer. */
static void test_sndtimeo_later(void)
{
	int sv[2];
	pair(sv);
	long queued = fill(sv[0]);
	struct drain dr = { sv[1], DELAY_MS, queued + 1 };
	pthread_t t;
	pthread_create(&t, NULL, drain_later, &dr);
	long t0 = now_ns();
	EXPECT_RC("sndtimeo: write on full socket, drained later", write(sv[0], "x", 1), 1);
	long ms = ms_since(t0);
	CHECK(ms >= DELAY_MS - 10, "write returned after %ld ms, before the drain", ms);
	pthread_join(t, NULL);

	fill(sv[0]);
	set_tmo(sv[0], SO_SNDTIMEO, TMO_MS);
	t0 = now_ns();
	EXPECT_ERR("sndtimeo: write on full socket after setting it", write(sv[0], "x", 1), EAGAIN);
	ms = ms_since(t0);
	fprintf(stderr, "sndtimeo write: %ld ms\n", ms);
	CHECK(ms >= TMO_MS - 10, "timed write took %ld ms", ms);
	CHECK_TIMING(ms < TMO_MS + 1000, "timed write took %ld ms", ms);
	close(sv[0]);
	close(sv[1]);
}

struct reuser {
	int fd;       /* the number to close */
	int kind;     /* 0: a pipe, 1: a socketpair */
	int got[2];   /* what took the number */
};

static void *close_and_reuse(void *arg)
{
	struct reuser *r = arg;
	close(r->fd);
	if (r->kind == 0 ? pipe(r->got) : socketpair(AF_UNIX, SOCK_STREAM, 0, r->got))
		tfail("reuse: %s", ename(errno));
	return NULL;
}

/* The number of a socket that blocked (and was non-blocking, or had a
 * timeout) is closed, here or by another thread, and reused by a plain
 * pipe or socketpair: reads on it block for the new file's data. */
static void test_reuse(int other_thread, int old_state)
{
	static const char *state[] = { "blocking", "O_NONBLOCK", "SO_RCVTIMEO" };
	char what[128];
	int sv[2];
	pair(sv);
	blocking_read("reuse: read on the old socket", sv[0], sv[1], DELAY_MS);
	if (old_state == 1) {
		fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
		nowait_read("reuse: old socket non-blocking", sv[0]);
	} else if (old_state == 2) {
		set_tmo(sv[0], SO_RCVTIMEO, TMO_MS);
		timed_read("reuse: old socket with timeout", sv[0]);
	}
	close(sv[1]);
	struct reuser r = { sv[0], old_state == 2 ? 1 : 0, { -1, -1 } };
	if (other_thread) {
		pthread_t t;
		pthread_create(&t, NULL, close_and_reuse, &r);
		pthread_join(t, NULL);
	} else {
		close_and_reuse(&r);
	}
	snprintf(what, sizeof what, "reuse (%s, %s): number reused", state[old_state],
		 other_thread ? "other thread" : "same thread");
	printf("%s: %s\n", what, r.got[0] == sv[0] ? "yes" : "no");
	snprintf(what, sizeof what, "reuse (%s, %s): read on the new file", state[old_state],
		 other_thread ? "other thread" : "same thread");
	blocking_read(what, r.got[0], r.got[1], DELAY_MS);
	close(r.got[0]);
	close(r.got[1]);
}

/* dup2 of a pipe over a number that blocked as a socket. */
static void test_dup2_over(void)
{
	int sv[2], pf[2];
	pair(sv);
	blocking_read("dup2 over: read on the socket", sv[0], sv[1], DELAY_MS);
	if (pipe(pf) != 0) {
		perror("pipe");
		exit(2);
	}
	EXPECT_RC("dup2 pipe over socket", dup2(pf[0], sv[0]) == sv[0], 1);
	blocking_read("dup2 over: read on the number, now the pipe", sv[0], pf[1], DELAY_MS);
	close(sv[0]);
	close(sv[1]);
	close(pf[0]);
	close(pf[1]);
}

int main(void)
{
	alarm(60);
	ticker_start();
	for (int how = 0; how < 3; how++)
		test_shared_nonblock(how);
	test_rcvtimeo_later();
	test_sndtimeo_later();
	for (int other = 0; other < 2; other++)
		for (int st = 0; st < 3; st++)
			test_reuse(other, st);
	test_dup2_over();
	ticker_stop();
	return finish("io_fd_cache");
}

/* select.c: select(2) and pselect(2) readiness, timeouts and fd_set results.
 *
 * Pins down: the return value is the total number of bits set in the three
 * sets; the sets are rewritten to the ready fds only; a timeout 0 polls; a
 * NULL timeout waits until another thread makes an fd ready. Linux-specific
 * (select(2) NOTES): select() writes the time not slept back into the
 * timeval, so it reads 0.000000 after a timeout and less than it was after an
 * early return; pselect() leaves its timespec alone (glibc passes a copy).
 * A closed fd in a set fails with EBADF.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <signal.h>
#include <sys/select.h>

static void check_timeout(const char *what, long ms, long want)
{
	fprintf(stderr, "%s: %ld ms\n", what, ms);
	CHECK(ms >= want, "%s took %ld ms, want %ld", what, ms, want);
	CHECK_TIMING(ms < want + 500, "%s took %ld ms, want %ld", what, ms, want);
}

static void show_set(const char *what, fd_set *s, int *fds, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		printf(" %d", FD_ISSET(fds[i], s) ? 1 : 0);
	printf("\n");
}

int main(void)
{
	alarm(30);
	ticker_start();
	int a[2], b[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, a);
	pipe(b);
	int fds[3] = { a[0], b[0], a[1] };
	int maxfd = a[0];
	for (int i = 0; i < 3; i++)
		if (fds[i] > maxfd)
			maxfd = fds[i];
	char buf[8];
	fd_set r, w;

	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	struct timeval tv = { 0, 0 };
	EXPECT_RC("select timeout 0", select(maxfd + 1, &r, NULL, NULL, &tv), 0);
	show_set("read set", &r, fds, 2);

	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	tv = (struct timeval){ 0, 60000 };
	long t0 = now_ns();
	EXPECT_RC("select timeout 60ms", select(maxfd + 1, &r, NULL, NULL, &tv), 0);
	check_timeout("select timeout 60ms", ms_since(t0), 60);
	printf("select timeval after timeout: %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);

	/* Readable + writable, counted per bit. */
	write(b[1], "x", 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	FD_SET(a[0], &w);
	FD_SET(a[1], &w);
	tv = (struct timeval){ 5, 0 };
	EXPECT_RC("select 1 readable 2 writable", select(maxfd + 1, &r, &w, NULL, &tv), 3);
	show_set("read set", &r, fds, 3);
	show_set("write set", &w, fds, 3);
	long left_us = tv.tv_sec * 1000000L + tv.tv_usec;
	printf("select timeval after immediate return within [4s, 5s]: %s\n",
	       left_us >= 4000000 && left_us <= 5000000 ? "yes" : "no");
	read(b[0], buf, sizeof buf);

	/* NULL timeout, data from another thread after 500 ms. */
	struct delayed_write d = { a[1], 500, "x" };
	pthread_t t;
	pthread_create(&t, NULL, writer_later, &d);
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	t0 = now_ns();
	EXPECT_RC("select NULL timeout until data", select(maxfd + 1, &r, NULL, NULL, NULL), 1);
	check_timeout("select NULL timeout", ms_since(t0), 490);
	show_set("read set", &r, fds, 2);
	pthread_join(t, NULL);
	read(a[0], buf, sizeof buf);

	/* 5 s timeout cut short after 400 ms: timeval shows the remainder. */
	d = (struct delayed_write){ b[1], 400, "x" };
	pthread_create(&t, NULL, writer_later, &d);
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	tv = (struct timeval){ 5, 0 };
	EXPECT_RC("select 5s until data", select(maxfd + 1, &r, NULL, NULL, &tv), 1);
	long left_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
	fprintf(stderr, "select remaining: %ld ms\n", left_ms);
	printf("select remaining time plausible: %s\n", left_ms > 3500 && left_ms <= 4700 ? "yes" : "no");
	pthread_join(t, NULL);
	read(b[0], buf, sizeof buf);

	/* select with no fds is a sleep. */
	tv = (struct timeval){ 0, 100000 };
	t0 = now_ns();
	EXPECT_RC("select(0, NULL...) 100ms", select(0, NULL, NULL, NULL, &tv), 0);
	check_timeout("select sleep", ms_since(t0), 100);

	/* A closed fd in the set. */
	int closed = dup(a[0]);
	close(closed);
	FD_ZERO(&r);
	FD_SET(closed, &r);
	tv = (struct timeval){ 0, 0 };
	EXPECT_ERR("select closed fd", select(closed + 1, &r, NULL, NULL, &tv), EBADF);
	tv = (struct timeval){ 0, 0 };
	EXPECT_ERR("select nfds -1", select(-1, NULL, NULL, NULL, &tv), EINVAL);

	/* pselect. */
	struct timespec ts = { 0, 70 * 1000000L };
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	t0 = now_ns();
	EXPECT_RC("pselect timeout 70ms", pselect(a[0] + 1, &r, NULL, NULL, &ts, NULL), 0);
	check_timeout("pselect timeout 70ms", ms_since(t0), 70);
	printf("pselect timespec after: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	d = (struct delayed_write){ a[1], 500, "x" };
	pthread_create(&t, NULL, writer_later, &d);
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	t0 = now_ns();
	EXPECT_RC("pselect NULL timeout until data", pselect(a[0] + 1, &r, NULL, NULL, NULL, &mask), 1);
	check_timeout("pselect NULL timeout", ms_since(t0), 490);
	show_set("read set", &r, fds, 1);
	pthread_join(t, NULL);
	ts = (struct timespec){ 2, 0 };
	EXPECT_RC("pselect data already there", pselect(a[0] + 1, &r, NULL, NULL, &ts, &mask), 1);
	printf("pselect timespec after: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	printf("mask restored after pselect: %s\n", sigismember(&cur, SIGUSR2) ? "no" : "yes");

	ticker_stop();
	return finish("io_select");
}

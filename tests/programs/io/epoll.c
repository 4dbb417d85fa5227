/* epoll.c: epoll_wait, epoll_pwait and epoll_pwait2 readiness and timeouts.
 *
 * Pins down: timeout 0 returns 0 at once; a short timeout returns 0 after
 * at least that long (epoll_pwait2 takes a timespec, NULL = infinite); -1
 * waits until another thread makes a registered fd ready; the count never
 * exceeds maxevents and the remaining ready fds are returned by the next
 * call (level-triggered); events and the user data come back as registered;
 * edge-triggered registrations report a change once; a thread blocked in
 * epoll_wait sees an fd added by another thread (epoll_ctl is live).
 * Under libgreen the program's epoll fd is itself a pollable fd that the
 * green thread must park on.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

struct delayed {
	int fd;
	long delay_ms;
	int epfd;
	int add_fd;
};

static void *add_then_write_later(void *arg)
{
	struct delayed *d = arg;
	sleep_ms(d->delay_ms);
	if (d->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 777 };
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->add_fd, &ev) != 0)
			tfail("epoll_ctl from thread: %s", ename(errno));
		sleep_ms(100);
	}
	if (write(d->fd, "x", 1) != 1)
		tfail("delayed write: %s", ename(errno));
	return NULL;
}

static void check_timeout(const char *what, long ms, long want)
{
	fprintf(stderr, "%s: %ld ms\n", what, ms);
	CHECK(ms >= want, "%s took %ld ms, want %ld", what, ms, want);
	CHECK_TIMING(ms < want + 500, "%s took %ld ms, want %ld", what, ms, want);
}

static void show_events(struct epoll_event *ev, int n)
{
	/* Sort by data so the order the kernel returns them in does not matter. */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (ev[j].data.u64 < ev[i].data.u64) {
				struct epoll_event t = ev[i];
				ev[i] = ev[j];
				ev[j] = t;
			}
	for (int i = 0; i < n; i++)
		printf("  data %llu events 0x%x\n", (unsigned long long)ev[i].data.u64, ev[i].events);
}

int main(void)
{
	alarm(30);
	ticker_start();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int s[4][2];
	for (int i = 0; i < 4; i++) {
		socketpair(AF_UNIX, SOCK_STREAM, 0, s[i]);
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 100 + i };
		epoll_ctl(ep, EPOLL_CTL_ADD, s[i][0], &ev);
	}
	struct epoll_event out[8];
	char buf[8];

	long t0 = now_ns();
	EXPECT_RC("epoll_wait timeout 0", epoll_wait(ep, out, 8, 0), 0);
	CHECK(ms_since(t0) < 100, "epoll_wait 0 waited");
	t0 = now_ns();
	EXPECT_RC("epoll_wait timeout 50", epoll_wait(ep, out, 8, 50), 0);
	check_timeout("epoll_wait timeout 50", ms_since(t0), 50);

	/* Three ready, maxevents 2: 2 now, then the rest. */
	for (int i = 0; i < 3; i++)
		write(s[i][1], "x", 1);
	int n = epoll_wait(ep, out, 2, 1000);
	printf("epoll_wait maxevents 2 with 3 ready: %d\n", n);
	int m = epoll_wait(ep, out + n, 8 - n, 1000);
	printf("epoll_wait again (level-triggered): %d\n", m);
	CHECK(n == 2 && m == 3, "expected 2 then 3 (all still ready)");
	show_events(out + n, m);
	for (int i = 0; i < 3; i++)
		read(s[i][0], buf, sizeof buf);
	EXPECT_RC("epoll_wait after draining", epoll_wait(ep, out, 8, 0), 0);

	/* -1, data from another thread after 500 ms. */
	struct delayed d = { s[3][1], 500, -1, -1 };
	pthread_t t;
	pthread_create(&t, NULL, add_then_write_later, &d);
	t0 = now_ns();
	EXPECT_RC("epoll_wait -1 until data", epoll_wait(ep, out, 8, -1), 1);
	check_timeout("epoll_wait -1", ms_since(t0), 490);
	show_events(out, 1);
	pthread_join(t, NULL);
	read(s[3][0], buf, sizeof buf);

	/* An fd added by another thread while we wait. */
	int extra[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, extra);
	d = (struct delayed){ extra[1], 400, ep, extra[0] };
	pthread_create(&t, NULL, add_then_write_later, &d);
	EXPECT_RC("epoll_wait sees fd added meanwhile", epoll_wait(ep, out, 8, 5000), 1);
	show_events(out, 1);
	pthread_join(t, NULL);
	read(extra[0], buf, sizeof buf);

	/* EPOLLOUT and EPOLLHUP. */
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 200 };
	epoll_ctl(ep, EPOLL_CTL_MOD, extra[0], &ev);
	EXPECT_RC("epoll_wait EPOLLOUT", epoll_wait(ep, out, 8, 1000), 1);
	show_events(out, 1);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP, .data.u64 = 201 };
	epoll_ctl(ep, EPOLL_CTL_MOD, extra[0], &ev);
	close(extra[1]);
	EXPECT_RC("epoll_wait peer closed", epoll_wait(ep, out, 8, 1000), 1);
	show_events(out, 1);
	epoll_ctl(ep, EPOLL_CTL_DEL, extra[0], NULL);
	close(extra[0]);

	/* Edge-triggered: reported once per change. */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 300 };
	epoll_ctl(ep, EPOLL_CTL_MOD, s[0][0], &ev);
	write(s[0][1], "a", 1);
	EXPECT_RC("EPOLLET first", epoll_wait(ep, out, 8, 1000), 1);
	EXPECT_RC("EPOLLET no new data", epoll_wait(ep, out, 8, 50), 0);
	d = (struct delayed){ s[0][1], 400, -1, -1 };
	pthread_create(&t, NULL, add_then_write_later, &d);
	EXPECT_RC("EPOLLET new data from thread", epoll_wait(ep, out, 8, 5000), 1);
	show_events(out, 1);
	pthread_join(t, NULL);
	read(s[0][0], buf, sizeof buf);

	/* epoll_pwait with a mask. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	t0 = now_ns();
	EXPECT_RC("epoll_pwait timeout 60", epoll_pwait(ep, out, 8, 60, &mask), 0);
	check_timeout("epoll_pwait timeout 60", ms_since(t0), 60);
	d = (struct delayed){ s[1][1], 500, -1, -1 };
	pthread_create(&t, NULL, add_then_write_later, &d);
	EXPECT_RC("epoll_pwait -1 until data", epoll_pwait(ep, out, 8, -1, &mask), 1);
	show_events(out, 1);
	pthread_join(t, NULL);
	read(s[1][0], buf, sizeof buf);

	/* epoll_pwait2: timespec timeout, NULL means infinite. */
	struct timespec ts = { 0, 0 };
	EXPECT_RC("epoll_pwait2 timeout 0", epoll_pwait2(ep, out, 8, &ts, NULL), 0);
	ts = (struct timespec){ 0, 70 * 1000000L };
	t0 = now_ns();
	EXPECT_RC("epoll_pwait2 timeout 70ms", epoll_pwait2(ep, out, 8, &ts, &mask), 0);
	check_timeout("epoll_pwait2 timeout 70ms", ms_since(t0), 70);
	printf("epoll_pwait2 timespec after: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){ 0, 2 * 1000000L };
	t0 = now_ns();
	EXPECT_RC("epoll_pwait2 timeout 2ms", epoll_pwait2(ep, out, 8, &ts, NULL), 0);
	long us = (now_ns() - t0) / 1000;
	fprintf(stderr, "epoll_pwait2 2ms: %ld us\n", us);
	CHECK(us >= 2000, "epoll_pwait2 2 ms took %ld us", us);
	CHECK_TIMING(us < 50000, "epoll_pwait2 2 ms took %ld us", us);
	d = (struct delayed){ s[2][1], 500, -1, -1 };
	pthread_create(&t, NULL, add_then_write_later, &d);
	t0 = now_ns();
	EXPECT_RC("epoll_pwait2 NULL until data", epoll_pwait2(ep, out, 8, NULL, NULL), 1);
	check_timeout("epoll_pwait2 NULL", ms_since(t0), 490);
	show_events(out, 1);
	pthread_join(t, NULL);
	read(s[2][0], buf, sizeof buf);

	/* Nested: an epoll fd inside another epoll set is readable when its set has events. */
	int outer = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 400 };
	epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev);
	EXPECT_RC("outer epoll idle", epoll_wait(outer, out, 8, 0), 0);
	d = (struct delayed){ s[3][1], 400, -1, -1 };
	pthread_create(&t, NULL, add_then_write_later, &d);
	EXPECT_RC("outer epoll until inner ready", epoll_wait(outer, out, 8, 5000), 1);
	show_events(out, 1);
	pthread_join(t, NULL);
	close(outer);

	for (int i = 0; i < 4; i++) {
		close(s[i][0]);
		close(s[i][1]);
	}
	close(ep);
	ticker_stop();
	return finish("io_epoll");
}

/* zero_length: zero-length and oversized transfers answer as natively (found
 * by the fuzzer, tests/programs/fuzz).
 *   - a zero-length write/send/writev/sendmsg never waits and reports what
 *     the file says: EPIPE on a listening socket, an empty datagram sent on
 *     a datagram socket (its receiver then reads 0), 0 on a pipe;
 *   - a zero-length recv/recvmsg on a TCP socket shut down for reading
 *     returns 0 (a non-blocking attempt says EAGAIN; with nothing queued
 *     and no shutdown it waits natively for any wake-up and then returns
 *     0, also when a handled signal ends the wait: not EINTR);
 *   - a zero-length read is the file's answer (EINVAL from an eventfd or a
 *     timerfd), never an iovec's 0;
 *   - a count beyond SSIZE_MAX fails with EFAULT for read/write/pread (the
 *     kernel's access check), not EINVAL (which an iovec of that length gets);
 *   - preadv2/pwritev2 at the file position without flags are readv/writev:
 *     a preadv2 on an empty pipe waits for the writer (the ticker shows the
 *     hub was not blocked).
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, ename(errno));
	else
		printf("%s: %ld\n", what, r);
}

static int pw;
static pthread_t main_thread;
static int stop_kills;
static pthread_mutex_t kill_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_usr1(int s) { (void)s; }

/* Sends SIGUSR1 to the main thread every 5 ms until stopped; none after
 * stop_killer() returns. */
static void *killer(void *arg)
{
	(void)arg;
	for (;;) {
		sleep_ms(5);
		pthread_mutex_lock(&kill_mu);
		int stop = stop_kills;
		if (!stop)
			pthread_kill(main_thread, SIGUSR1);
		pthread_mutex_unlock(&kill_mu);
		if (stop)
			return NULL;
	}
}

static pthread_t start_killer(void)
{
	pthread_t k;
	stop_kills = 0;
	pthread_create(&k, NULL, killer, NULL);
	return k;
}

static void stop_killer(pthread_t k)
{
	pthread_mutex_lock(&kill_mu);
	stop_kills = 1;
	pthread_mutex_unlock(&kill_mu);
	pthread_join(k, NULL);
}

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(50);
	if (write(pw, "abc", 3) != 3)
		tfail("late write");
	return NULL;
}

int main(void)
{
	check_init(30);
	signal(SIGPIPE, SIG_IGN);
	ticker_start();
	char buf[64] = "x";

	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	bind(l, (void *)&a, sizeof a);
	listen(l, 4);
	getsockname(l, (void *)&a, &al);
	show("write(listener, 0)", write(l, buf, 0));
	show("send(listener, 0)", send(l, buf, 0, 0));
	show("writev(listener, iovcnt 0)", writev(l, NULL, 0));
	struct iovec z = {buf, 0};
	show("pwritev2(listener, 0 bytes, -1, 0)", pwritev2(l, &z, 1, -1, 0));

	/* TCP: zero-length receives with nothing to read */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (void *)&a, sizeof a);
	int s = accept(l, NULL, NULL);
	show("shutdown(tcp, SHUT_RD)", shutdown(s, SHUT_RD));
	show("recv(tcp, 0) after SHUT_RD", recv(s, buf, 0, 0));
	struct msghdr m = {0};
	show("recvmsg(tcp, iovlen 0) after SHUT_RD", recvmsg(s, &m, 0));
	m.msg_iov = &z;
	m.msg_iovlen = 1;
	show("recvmsg(tcp, one empty iovec)", recvmsg(s, &m, 0));

	/* a signal (no SA_RESTART) ends a zero-length TCP receive with 0 */
	int c2 = socket(AF_INET, SOCK_STREAM, 0);
	connect(c2, (void *)&a, sizeof a);
	int s2 = accept(l, NULL, NULL);
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	main_thread = pthread_self();
	pthread_t k = start_killer();
	long r0 = recv(s2, buf, 0, 0);
	stop_killer(k);
	show("recv(tcp, 0) nothing queued, signal", r0);
	struct msghdr m2 = {0};
	k = start_killer();
	r0 = recvmsg(s2, &m2, 0);
	stop_killer(k);
	show("recvmsg(tcp, iovlen 0) nothing queued, signal", r0);
	k = start_killer();
	r0 = recv(s2, buf, 1, 0);
	stop_killer(k);
	show("recv(tcp, 1) nothing queued, signal", r0);

	/* datagrams: a zero-length send is an empty datagram */
	int d[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	show("write(udgram, 0)", write(d[0], buf, 0));
	show("read(udgram) the empty datagram", read(d[1], buf, sizeof buf));
	struct msghdr e = {0};
	show("sendmsg(udgram, iovlen 0)", sendmsg(d[0], &e, 0));
	show("recv(udgram) the empty datagram", recv(d[1], buf, sizeof buf, 0));

	/* a zero-length read is the file's answer */
	int ev = eventfd(0, 0);
	show("read(eventfd, 0)", read(ev, buf, 0));
	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	show("read(timerfd, 0)", read(tf, buf, 0));

	/* counts no iovec can hold */
	int p[2];
	pipe(p);
	volatile size_t vhuge = SIZE_MAX; /* not a constant: no compiler warning */
	size_t huge = vhuge;
	show("write(pipe, SIZE_MAX)", write(p[1], buf, huge));
	show("read(pipe, SIZE_MAX)", read(p[0], buf, huge));
	char path[] = "/tmp/zero_length.XXXXXX";
	int f = mkstemp(path);
	unlink(path);
	show("write(file, 16)", write(f, "0123456789abcdef", 16));
	show("pread(file, SIZE_MAX)", pread(f, buf, huge, 0));

	/* preadv2 on an empty pipe waits for its writer */
	pw = p[1];
	pthread_t t;
	pthread_create(&t, NULL, late_writer, NULL);
	struct iovec v = {buf, sizeof buf};
	errno = 1234;
	long r = preadv2(p[0], &v, 1, -1, 0);
	show("preadv2(pipe, -1, 0) after a wait", r);
	printf("errno untouched: %s\n", errno == 1234 ? "yes" : "no");
	pthread_join(t, NULL);
	struct iovec w = {"hello", 5};
	show("pwritev2(pipe, -1, 0)", pwritev2(p[1], &w, 1, -1, 0));
	show("preadv2(pipe, -1, RWF_NOWAIT)", preadv2(p[0], &v, 1, -1, RWF_NOWAIT));

	tfail_flush();
	ticker_stop();
	return finish("zero_length");
}

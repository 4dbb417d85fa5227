/* iotest.h: small helpers shared by the io_ differential test programs.
 *
 * Output rules (see tests/diff/difftest.py): stdout is compared between the
 * native and the preloaded run, so it only holds deterministic lines (return
 * values, errno names, "ok"); timings go to stderr. A line starting with
 * "FAIL:" fails the test.
 *
 * Threads never print: they record failures with tfail() and main prints
 * them with tfail_flush(), so stdout order does not depend on scheduling.
 */
#ifndef IOTEST_H
#define IOTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int io_failures;

#define FAILF(...)                                                             \
	do {                                                                   \
		printf("FAIL: " __VA_ARGS__);                                  \
		printf("\n");                                                  \
		io_failures++;                                                 \
	} while (0)

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			FAILF(__VA_ARGS__);                                    \
	} while (0)

static inline const char *ename(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Prints "<what>: <rc>" or "<what>: -1 <ERRNO>". */
static inline void report(const char *what, long rc, int err)
{
	if (rc == -1)
		printf("%s: -1 %s\n", what, ename(err));
	else
		printf("%s: %ld\n", what, rc);
}

/* Evaluates call, prints its result, and fails unless it is -1 with errno want. */
#define EXPECT_ERR(what, call, want)                                           \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		report(what, r_, e_);                                          \
		if (r_ != -1 || e_ != (want))                                  \
			FAILF("%s: expected -1 %s", what, ename(want));       \
	} while (0)

/* Evaluates call, prints its result, and fails unless it returned want. */
#define EXPECT_RC(what, call, want)                                            \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		report(what, r_, e_);                                          \
		if (r_ != (long)(want))                                        \
			FAILF("%s: expected %ld", what, (long)(want));         \
	} while (0)

/* ---- failures recorded by threads, printed by main ---- */

#define TFAIL_MAX 64
static char tfail_msgs[TFAIL_MAX][200];
static atomic_int tfail_count;

static inline void tfail(const char *fmt, ...)
{
	int i = atomic_fetch_add(&tfail_count, 1);
	if (i >= TFAIL_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tfail_msgs[i], sizeof tfail_msgs[i], fmt, ap);
	va_end(ap);
}

static inline void tfail_flush(void)
{
	int n = atomic_load(&tfail_count);
	for (int i = 0; i < n && i < TFAIL_MAX; i++)
		FAILF("%s", tfail_msgs[i]);
	if (n > TFAIL_MAX)
		FAILF("%d more thread failures", n - TFAIL_MAX);
	atomic_store(&tfail_count, 0);
}

/* ---- time ---- */

static inline long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static inline long ms_since(long t0_ns)
{
	return (now_ns() - t0_ns) / 1000000L;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- loopback sockets (always 127.0.0.1, port 0) ---- */

/* A thread that writes data (NULL: "late") to fd after delay_ms: the wake-up
 * a blocked reader, poll or select waits for. */
struct delayed_write {
	int fd;
	long delay_ms;
	const char *data;
};

static inline void *writer_later(void *arg)
{
	struct delayed_write *d = arg;
	const char *data = d->data ? d->data : "late";
	size_t n = strlen(data);
	sleep_ms(d->delay_ms);
	if (write(d->fd, data, n) != (ssize_t)n)
		tfail("delayed write: %s", ename(errno));
	return NULL;
}

/* A read on fd must block until a thread writes "late" to peer delay_ms
 * later, and then return those 4 bytes. */
static inline void blocking_read(const char *what, int fd, int peer, long delay_ms)
{
	struct delayed_write d = { peer, delay_ms, NULL };
	pthread_t t;
	pthread_create(&t, NULL, writer_later, &d);
	char buf[8];
	long t0 = now_ns();
	EXPECT_RC(what, read(fd, buf, sizeof buf), 4);
	long ms = ms_since(t0);
	CHECK(ms >= delay_ms - 10, "%s returned after %ld ms, before the data", what, ms);
	pthread_join(t, NULL);
}

static inline int tcp_listener_flags(int type_flags, int backlog, struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | type_flags, 0);
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("bind/listen");
		exit(2);
	}
	if (addr)
		*addr = a;
	return fd;
}

static inline int tcp_listener(int backlog, struct sockaddr_in *addr)
{
	return tcp_listener_flags(0, backlog, addr);
}

static inline int tcp_connect(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
		perror("connect");
		exit(2);
	}
	return fd;
}

/* A connected TCP pair over loopback; the listener is closed again. */
static inline void tcp_pair(int *client, int *server)
{
	struct sockaddr_in a;
	int l = tcp_listener(1, &a);
	*client = tcp_connect(&a);
	*server = accept(l, NULL, NULL);
	if (*server < 0) {
		perror("accept");
		exit(2);
	}
	close(l);
}

/* Writes all of buf (blocking fd); returns 0 or -1. */
static inline int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes; returns n, or fewer at EOF, or -1. */
static inline ssize_t read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Prints the end line "<name>: done"; returns the exit status (1 if a check failed). */
static inline int finish(const char *name)
{
	tfail_flush();
	printf("%s: %s\n", name, io_failures ? "failed" : "done");
	return io_failures ? 1 : 0;
}

#endif

/* net.h: loopback sockets and whole reads and writes for the differential test programs.
 *
 * Used by the io/ and daemon/ programs (header-only; C gnu11 and C++20). Sockets are
 * TCP on 127.0.0.1 with ephemeral ports, so port numbers are run-dependent and never
 * printed on stdout. A setup call that cannot work (socket, bind, listen) prints a
 * FAIL line and exits 2; connect_lo() fails the check and returns -1 instead.
 * blocking_read() is a check (check.h rules): it prints its result on stdout.
 */
#ifndef TESTS_NET_H
#define TESTS_NET_H

#include "check.h"
#include "clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

/* Writes all of buf (blocking fd), retrying short writes; returns 0 or -1. */
static inline int write_all(int fd, const void *buf, size_t n)
{
	const char *p = (const char *)buf;
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

/* Reads until n bytes or EOF; returns the count (fewer than n only at EOF), or -1. */
static inline ssize_t read_full(int fd, void *buf, size_t n)
{
	char *p = (char *)buf;
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

/* A TCP listener on 127.0.0.1:0 with SOCK_* type_flags; *addr (if given) gets its address. */
static inline int tcp_listener_flags(int type_flags, int backlog, struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | type_flags, 0);
	if (fd < 0) {
		FAIL("socket: %s", ename(errno));
		exit(2);
	}
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		FAIL("bind/listen: %s", ename(errno));
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

/* Connects to addr; exits 2 when that fails. */
static inline int tcp_connect(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
		FAIL("connect: %s", ename(errno));
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
		FAIL("accept: %s", ename(errno));
		exit(2);
	}
	close(l);
}

/* A close-on-exec listener (backlog 64) by port number, for programs that fork and exec. */
static inline int listen_lo(int *port)
{
	struct sockaddr_in a;
	int fd = tcp_listener_flags(SOCK_CLOEXEC, 64, &a);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A close-on-exec connection to 127.0.0.1:port; -1 (a failed check) when that fails. */
static inline int connect_lo(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		FAIL("connect: %s", ename(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- a reader woken by a late writer ---- */

/* A thread that writes data (NULL: "late") to fd after delay_ms: the wake-up
 * a blocked reader, poll or select waits for. */
struct delayed_write {
	int fd;
	long delay_ms;
	const char *data;
};

static inline void *writer_later(void *arg)
{
	struct delayed_write *d = (struct delayed_write *)arg;
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

#endif

/* close_wake.c: shutdown(), close() and dup2() on an fd another thread is blocked on.
 *
 * Linux semantics pinned down here (natively verified):
 *  - shutdown(fd, SHUT_RDWR) wakes a thread blocked in read/recv on that
 *    socket: it returns 0 (EOF). A thread blocked in accept() on a listener
 *    that is shut down returns -1 EINVAL.
 *  - close(fd) does NOT wake a thread blocked in read/recv/accept on fd: the
 *    system call holds its own reference to the open file, so it keeps
 *    waiting on that file and returns when the file gets data or EOF (the
 *    peer writes or closes). The same holds for dup2(other, fd).
 *  - Once closed, the fd number is reused by the next socket()/pipe(); the
 *    blocked thread must never see data written to that new file.
 * libgreen's DESIGN "Known hard spots" calls this out: the waiter keeps
 * waiting on the old file, never on what the reused fd number now names.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <stdatomic.h>
#include <sys/un.h>

enum op { OP_READ, OP_RECV, OP_ACCEPT };

struct waiter {
	int fd;
	enum op op;
	pthread_t t;
	atomic_int done;
	long rc;
	int err;
	char data[16];
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	errno = 0;
	switch (w->op) {
	case OP_READ:
		w->rc = read(w->fd, w->data, sizeof w->data - 1);
		break;
	case OP_RECV:
		w->rc = recv(w->fd, w->data, sizeof w->data - 1, 0);
		break;
	case OP_ACCEPT:
		w->rc = accept(w->fd, NULL, NULL);
		break;
	}
	w->err = errno;
	atomic_store(&w->done, 1);
	return NULL;
}

static void start(struct waiter *w, int fd, enum op op)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->op = op;
	pthread_create(&w->t, NULL, wait_main, w);
	sleep_ms(400);
	if (atomic_load(&w->done))
		FAIL("waiter returned before anything happened");
}

/* Prints the waiter's result once it has returned. */
static void finish_waiter(const char *what, struct waiter *w)
{
	pthread_join(w->t, NULL);
	if (w->op == OP_ACCEPT)
		printf("%s: %s\n", what, w->rc >= 0 ? "accepted a connection" : ename(w->err));
	else if (w->rc > 0)
		printf("%s: %ld \"%.*s\"\n", what, w->rc, (int)w->rc, w->data);
	else
		report(what, w->rc, w->err);
}

static void still_blocked(const char *what, struct waiter *w)
{
	sleep_ms(400);
	printf("%s: %s\n", what, atomic_load(&w->done) ? "returned" : "still blocked");
}

static void test_shutdown(void)
{
	struct waiter w;
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	start(&w, sv[0], OP_READ);
	EXPECT_RC("shutdown unix SHUT_RDWR", shutdown(sv[0], SHUT_RDWR), 0);
	finish_waiter("read woken by shutdown (unix)", &w);
	close(sv[0]);
	close(sv[1]);

	int c, s;
	tcp_pair(&c, &s);
	start(&w, s, OP_RECV);
	EXPECT_RC("shutdown tcp SHUT_RD", shutdown(s, SHUT_RD), 0);
	finish_waiter("recv woken by SHUT_RD (tcp)", &w);
	close(c);
	close(s);

	tcp_pair(&c, &s);
	start(&w, s, OP_RECV);
	EXPECT_RC("shutdown tcp SHUT_RDWR", shutdown(s, SHUT_RDWR), 0);
	finish_waiter("recv woken by SHUT_RDWR (tcp)", &w);
	char buf[4];
	EXPECT_RC("peer read after shutdown", read(c, buf, sizeof buf), 0);
	close(c);
	close(s);

	struct sockaddr_in a;
	int l = tcp_listener(4, &a);
	start(&w, l, OP_ACCEPT);
	EXPECT_RC("shutdown listener SHUT_RDWR", shutdown(l, SHUT_RDWR), 0);
	finish_waiter("accept woken by shutdown", &w);
	close(l);
}

static void test_close_then_data(void)
{
	struct waiter w;
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	start(&w, sv[0], OP_READ);
	int keep = dup(sv[0]);
	EXPECT_RC("close waited-on fd (dup kept)", close(sv[0]), 0);
	still_blocked("reader after close", &w);
	write(sv[1], "old", 3);
	finish_waiter("reader gets peer data", &w);
	close(keep);
	close(sv[1]);

	/* No dup: the blocked read alone keeps the socket alive. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	start(&w, sv[0], OP_READ);
	int num = sv[0];
	EXPECT_RC("close waited-on fd (last fd)", close(sv[0]), 0);
	int pf[2];
	pipe(pf);
	printf("closed fd number reused by pipe: %s\n", pf[0] == num ? "yes" : "no");
	write(pf[1], "new", 3);
	still_blocked("reader after reuse + write to new file", &w);
	write(sv[1], "old", 3);
	finish_waiter("reader gets old file's data", &w);
	char buf[8];
	EXPECT_RC("new pipe still holds its data", read(pf[0], buf, sizeof buf), 3);
	close(pf[0]);
	close(pf[1]);
	close(sv[1]);

	/* Peer close gives EOF to the orphaned reader. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	start(&w, sv[0], OP_READ);
	close(sv[0]);
	int other[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, other);
	printf("closed fd number reused by socketpair: %s\n", other[0] == sv[0] ? "yes" : "no");
	write(other[1], "new", 3);
	still_blocked("reader after reuse by a socket", &w);
	close(sv[1]);
	finish_waiter("reader gets EOF from old peer", &w);
	EXPECT_RC("new socket still holds its data", read(other[0], buf, sizeof buf), 3);
	close(other[0]);
	close(other[1]);

	/* TCP recv. */
	int c, s;
	tcp_pair(&c, &s);
	start(&w, s, OP_RECV);
	close(s);
	int c2, s2;
	tcp_pair(&c2, &s2);
	write(c2, "new", 3);
	write(s2, "new", 3);
	still_blocked("tcp receiver after close + reuse", &w);
	write(c, "old", 3);
	finish_waiter("tcp receiver gets old connection's data", &w);
	close(c);
	close(c2);
	close(s2);
}

static void test_dup2_over(void)
{
	struct waiter w;
	int sv[2], pf[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	start(&w, sv[0], OP_READ);
	int r = dup2(pf[0], sv[0]);
	printf("dup2 pipe over waited-on fd returns that fd: %s\n", r == sv[0] ? "yes" : ename(errno));
	write(pf[1], "new", 3);
	still_blocked("reader after dup2 + write to pipe", &w);
	write(sv[1], "old", 3);
	finish_waiter("reader gets old socket's data", &w);
	char buf[8];
	EXPECT_RC("read through dup2'd fd gets pipe data", read(sv[0], buf, sizeof buf), 3);
	close(sv[0]);
	close(sv[1]);
	close(pf[0]);
	close(pf[1]);
}

static void test_close_listener(void)
{
	struct waiter w;
	struct sockaddr_in a;
	int l = tcp_listener(4, &a);
	start(&w, l, OP_ACCEPT);
	close(l);
	still_blocked("acceptor after listener close", &w);
	int c = tcp_connect(&a);
	finish_waiter("acceptor after a client connects", &w);
	if (w.rc >= 0)
		close((int)w.rc);
	close(c);
}

int main(void)
{
	alarm(40);
	ticker_start();
	test_shutdown();
	test_close_then_data();
	test_dup2_over();
	test_close_listener();
	ticker_stop();
	return finish("io_close_wake");
}

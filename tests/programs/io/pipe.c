/* pipe.c: pipes between threads, scatter-gather, EOF and EPIPE.
 *
 * Pins down (pipe(7)): a blocking write larger than the pipe buffer (1 MiB
 * here) returns only when all of it was written, while another thread reads
 * it in odd-sized pieces; readv/writev fill and drain the iovecs in order;
 * a reader blocked on an empty pipe gets 0 (EOF) when the last write end is
 * closed; with SIGPIPE ignored a write to a pipe without readers fails with
 * EPIPE, and a writer blocked on a full pipe whose reader goes away returns
 * the partial count it already wrote (and the next write fails with EPIPE).
 * send(MSG_NOSIGNAL) on a socket whose peer is gone gives EPIPE with SIGPIPE
 * not ignored.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <signal.h>
#include <sys/uio.h>

#define BIG (1 << 20)

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 131) ^ (i >> 9));
}

struct big_write {
	int fd;
	long rc;
	int err;
};

static void *big_writer(void *arg)
{
	struct big_write *w = arg;
	unsigned char *buf = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	errno = 0;
	w->rc = write(w->fd, buf, BIG);
	w->err = errno;
	free(buf);
	return NULL;
}

static void test_big_write(void)
{
	int pf[2];
	pipe(pf);
	struct big_write w = { pf[1], 0, 0 };
	pthread_t t;
	pthread_create(&t, NULL, big_writer, &w);
	sleep_ms(400); /* the writer fills the pipe and blocks */
	unsigned char buf[7000];
	size_t got = 0, bad = 0;
	int reads = 0;
	while (got < BIG && reads < 100000) {
		size_t want = 1 + (size_t)(reads * 977) % sizeof buf;
		ssize_t n = read(pf[0], buf, want);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != pattern(got + (size_t)i);
		got += (size_t)n;
		reads++;
	}
	pthread_join(t, NULL);
	printf("1 MiB write through a pipe: write returned %ld, read %zu bytes, mismatches %zu\n", w.rc, got, bad);
	CHECK(w.rc == BIG && got == BIG && bad == 0, "big pipe transfer");
	close(pf[1]);
	EXPECT_RC("read after writer closed", read(pf[0], buf, sizeof buf), 0);
	close(pf[0]);
}

struct writev_job {
	int fd;
	long rc;
};

static void *writev_thread(void *arg)
{
	struct writev_job *j = arg;
	static char big1[100000], big2[100000];
	memset(big1, 'p', sizeof big1);
	memset(big2, 'q', sizeof big2);
	struct iovec v[2] = { { big1, sizeof big1 }, { big2, sizeof big2 } };
	j->rc = writev(j->fd, v, 2);
	return NULL;
}

static void test_scatter_gather(void)
{
	int pf[2];
	pipe(pf);
	char a[] = "Hello, ", b[] = "scatter", c[] = "-gather world";
	struct iovec out[3] = { { a, 7 }, { b, 7 }, { c, 13 } };
	EXPECT_RC("writev 3 iovecs", writev(pf[1], out, 3), 27);
	char x[5], y[10], z[4], w[20];
	memset(w, 0, sizeof w);
	struct iovec in[4] = { { x, 5 }, { y, 10 }, { z, 4 }, { w, 20 } };
	EXPECT_RC("readv 4 iovecs", readv(pf[0], in, 4), 27);
	printf("readv pieces: \"%.5s\" \"%.10s\" \"%.4s\" \"%s\"\n", x, y, z, w);

	/* A writev larger than the pipe buffer from a thread, read back with readv. */
	struct writev_job job = { pf[1], 0 };
	pthread_t t;
	pthread_create(&t, NULL, writev_thread, &job);
	static char r1[150000], r2[50000];
	size_t got = 0, bad = 0;
	for (int i = 0; i < 10000 && got < 200000; i++) {
		struct iovec rv[2] = { { r1, sizeof r1 }, { r2, sizeof r2 } };
		ssize_t n = readv(pf[0], rv, 2);
		if (n <= 0)
			break;
		for (ssize_t k = 0; k < n; k++) {
			char ch = k < (ssize_t)sizeof r1 ? r1[k] : r2[k - (ssize_t)sizeof r1];
			bad += ch != (got + (size_t)k < 100000 ? 'p' : 'q');
		}
		got += (size_t)n;
	}
	pthread_join(t, NULL);
	printf("200000-byte writev from a thread: returned %ld, readv got %zu, mismatches %zu\n", job.rc, got, bad);
	CHECK(job.rc == 200000 && got == 200000 && bad == 0, "writev/readv transfer");
	close(pf[0]);
	close(pf[1]);
}

static void *close_later(void *arg)
{
	sleep_ms(400);
	close(*(int *)arg);
	return NULL;
}

static void test_eof_and_epipe(void)
{
	int pf[2];
	char buf[8];
	pipe(pf);
	pthread_t t;
	pthread_create(&t, NULL, close_later, &pf[1]);
	EXPECT_RC("blocked reader gets EOF when writer closes", read(pf[0], buf, sizeof buf), 0);
	pthread_join(t, NULL);
	close(pf[0]);

	signal(SIGPIPE, SIG_IGN);
	pipe(pf);
	close(pf[0]);
	EXPECT_ERR("write to pipe without reader", write(pf[1], "x", 1), EPIPE);
	close(pf[1]);

	/* A writer blocked on a full pipe; the reader closes. */
	pipe(pf);
	pthread_create(&t, NULL, close_later, &pf[0]);
	static char chunk[200000];
	EXPECT_RC("blocked write when reader closes: partial count", write(pf[1], chunk, sizeof chunk), 65536);
	pthread_join(t, NULL);
	EXPECT_ERR("next write", write(pf[1], chunk, 10), EPIPE);
	close(pf[1]);
	signal(SIGPIPE, SIG_DFL);

	int c, s;
	tcp_pair(&c, &s);
	close(s);
	sleep_ms(50);
	EXPECT_RC("send after peer closed (answered by RST)", send(c, "x", 1, MSG_NOSIGNAL), 1);
	sleep_ms(50);
	EXPECT_ERR("send MSG_NOSIGNAL after peer reset", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(c);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	EXPECT_ERR("unix send MSG_NOSIGNAL without peer", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);
}

int main(void)
{
	alarm(30);
	ticker_start();
	test_big_write();
	test_scatter_gather();
	test_eof_and_epipe();
	ticker_stop();
	return finish("io_pipe");
}

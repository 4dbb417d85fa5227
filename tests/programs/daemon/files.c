/* daemon_files: regular files, file locks, zero-copy transfers and FIFOs.
 *
 * Regular-file I/O is never "not ready" to poll/epoll (epoll_ctl rejects it with EPERM),
 * so a green runtime must run it as is or offload it; file locks held by another
 * process, and open() of a FIFO with no writer (fifo(7): open for reading blocks until a
 * writer opens), block for as long as the other side wants. This program pins down:
 *   1. pwrite/pread of disjoint blocks by four threads at once, then fsync/fdatasync;
 *   2. write() with O_APPEND by four threads: every record lands whole (write(2));
 *   3. flock LOCK_EX, lockf F_LOCK and fcntl F_SETLKW each blocking ~400 ms while a
 *      forked child holds the lock, after the non-blocking forms fail (EWOULDBLOCK,
 *      EAGAIN/EACCES) and F_GETLK names the child as the holder;
 *   4. sendfile() from the file to a TCP socket with a small send buffer whose reader
 *      starts 400 ms late (sendfile blocks);
 *   5. splice() pipe -> socket and socket -> pipe, the pipe fed 400 ms late;
 *   6. copy_file_range() file -> file;
 *   7. open(fifo, O_RDONLY) blocking until a writer thread opens it 400 ms later.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define BLK 4096
#define NT 4
#define PER 64

static char path[64];
static int fd;

static unsigned char pattern(long off)
{
	return (unsigned char)((off * 2654435761u) >> 13);
}

static unsigned long sum_bytes(unsigned long s, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s = s * 131 + p[i];
	return s;
}

/* ---- 1. pwrite/pread ---- */

static void *pwriter(void *arg)
{
	long t = (long)arg;
	unsigned char b[BLK];
	for (long k = 0; k < PER; k++) {
		long blk = k * NT + t;
		memset(b, (int)(blk & 0xff), BLK);
		CHECK(pwrite(fd, b, BLK, blk * BLK) == BLK, "pwrite: %s", ename(errno));
	}
	return NULL;
}

static void *preader(void *arg)
{
	long *bad = arg;
	unsigned char b[BLK];
	for (long blk = 0; blk < NT * PER; blk++) {
		if (pread(fd, b, BLK, blk * BLK) != BLK || b[0] != (blk & 0xff) ||
		    b[BLK - 1] != (blk & 0xff))
			(*bad)++;
	}
	return NULL;
}

static void part_pwrite(void)
{
	pthread_t t[NT];
	long bad[NT] = { 0 };
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, pwriter, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	printf("fsync: %s, fdatasync: %s\n", ename(fsync(fd) ? errno : 0),
	       ename(fdatasync(fd) ? errno : 0));
	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, preader, &bad[i]);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	struct stat st;
	fstat(fd, &st);
	printf("pwrite/pread: size=%lld bad blocks=%ld %ld %ld %ld\n", (long long)st.st_size,
	       bad[0], bad[1], bad[2], bad[3]);
	CHECK(!bad[0] && !bad[1] && !bad[2] && !bad[3], "pread saw wrong data");
}

/* ---- 2. O_APPEND writers ---- */

#define RECS 200
#define RECLEN 24

static int afd;

static void *appender(void *arg)
{
	long t = (long)arg;
	char rec[RECLEN + 1];
	for (int i = 0; i < RECS; i++) {
		snprintf(rec, sizeof rec, "rec T%ld %04d ...........\n", t, i);
		CHECK(write(afd, rec, RECLEN) == RECLEN, "append write: %s", ename(errno));
	}
	return NULL;
}

static void part_append(void)
{
	char apath[64];
	strcpy(apath, "/tmp/daemon_files_appendXXXXXX");
	int rfd = mkstemp(apath);
	afd = open(apath, O_WRONLY | O_APPEND | O_CLOEXEC);
	unlink(apath);
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, appender, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	close(afd);
	int next[NT] = { 0 }, torn = 0;
	char rec[RECLEN];
	ssize_t r;
	while ((r = read(rfd, rec, RECLEN)) == RECLEN) {
		int th, seq;
		if (sscanf(rec, "rec T%d %d", &th, &seq) == 2 && th >= 0 && th < NT && seq == next[th] &&
		    rec[RECLEN - 1] == '\n')
			next[th]++;
		else
			torn++;
	}
	close(rfd);
	printf("O_APPEND: records %d %d %d %d torn=%d last read=%zd\n", next[0], next[1], next[2],
	       next[3], torn, r);
	CHECK(!torn && next[0] == RECS && next[3] == RECS, "O_APPEND records lost or torn");
}

/* ---- 3. locks held by another process ---- */

enum lockkind { FLOCK, LOCKF, FCNTL };

/* Forks a child that takes the lock on its own open file description, reports it holds
 * it through a pipe, holds it 400 ms and exits (which releases it). */
static pid_t hold_in_child(enum lockkind k)
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		int rc = -1;
		if (k == FLOCK) {
			rc = flock(cfd, LOCK_EX);
		} else if (k == LOCKF) {
			rc = lockf(cfd, F_LOCK, 0);
		} else {
			struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
			rc = fcntl(cfd, F_SETLKW, &fl);
		}
		if (write(p[1], rc == 0 ? "L" : "E", 1) != 1)
			_exit(2);
		sleep_ms(400);
		_exit(0);
	}
	close(p[1]);
	char c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'L', "child could not take the lock");
	close(p[0]);
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "%s: lock child status %#x", what, st);
}

static void part_locks(void)
{
	int lfd = open(path, O_RDWR | O_CLOEXEC);

	pid_t pid = hold_in_child(FLOCK);
	int rc = flock(lfd, LOCK_EX | LOCK_NB);
	printf("flock LOCK_EX|LOCK_NB while the child holds it: %s\n", ename(rc ? errno : 0));
	long t0 = now_ms();
	rc = flock(lfd, LOCK_EX);
	long waited = now_ms() - t0;
	fprintf(stderr, "flock waited %ld ms\n", waited);
	printf("flock LOCK_EX: %s, waited for the child: %s\n", ename(rc ? errno : 0),
	       waited >= 200 ? "yes" : "no");
	flock(lfd, LOCK_UN);
	reap(pid, "flock");

	pid = hold_in_child(LOCKF);
	rc = lockf(lfd, F_TLOCK, 0);
	int e = errno;
	printf("lockf F_TLOCK while the child holds it: %s\n",
	       rc == 0 ? "0" : (e == EAGAIN || e == EACCES) ? "EAGAIN or EACCES" : ename(e));
	t0 = now_ms();
	rc = lockf(lfd, F_LOCK, 0);
	waited = now_ms() - t0;
	fprintf(stderr, "lockf waited %ld ms\n", waited);
	printf("lockf F_LOCK: %s, waited for the child: %s\n", ename(rc ? errno : 0),
	       waited >= 200 ? "yes" : "no");
	lockf(lfd, F_ULOCK, 0);
	reap(pid, "lockf");

	pid = hold_in_child(FCNTL);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	rc = fcntl(lfd, F_SETLK, &fl);
	e = errno;
	printf("fcntl F_SETLK while the child holds it: %s\n",
	       rc == 0 ? "0" : (e == EAGAIN || e == EACCES) ? "EAGAIN or EACCES" : ename(e));
	struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	rc = fcntl(lfd, F_GETLK, &q);
	printf("fcntl F_GETLK: %s type=%s holder is the child: %s\n", ename(rc ? errno : 0),
	       q.l_type == F_WRLCK ? "F_WRLCK" : "other", q.l_pid == pid ? "yes" : "no");
	t0 = now_ms();
	fl.l_type = F_WRLCK;
	rc = fcntl(lfd, F_SETLKW, &fl);
	waited = now_ms() - t0;
	fprintf(stderr, "F_SETLKW waited %ld ms\n", waited);
	printf("fcntl F_SETLKW: %s, waited for the child: %s\n", ename(rc ? errno : 0),
	       waited >= 200 ? "yes" : "no");
	fl.l_type = F_UNLCK;
	fcntl(lfd, F_SETLK, &fl);
	reap(pid, "fcntl");
	close(lfd);
}

/* ---- 4./5. sendfile and splice ---- */

struct sink {
	int fd;
	int use_splice;
	long total;
	unsigned long sum;
};

static void *sink_main(void *arg)
{
	struct sink *s = arg;
	sleep_ms(400);
	unsigned char buf[65536];
	int p[2] = { -1, -1 };
	if (s->use_splice)
		pipe2(p, O_CLOEXEC);
	for (;;) {
		ssize_t r;
		if (s->use_splice) {
			r = splice(s->fd, NULL, p[1], NULL, sizeof buf, SPLICE_F_MOVE);
			if (r > 0)
				CHECK(read_full(p[0], buf, (size_t)r) == r, "read from splice pipe");
		} else {
			r = read(s->fd, buf, sizeof buf);
		}
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r >= 0, "sink read/splice: %s", ename(errno));
		if (r <= 0)
			break;
		s->sum = sum_bytes(s->sum, buf, (size_t)r);
		s->total += r;
	}
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	return NULL;
}

static void tcp_pair_small(int *a, int *b)
{
	int port, l = listen_lo(&port);
	*a = connect_lo(port);
	*b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	int small = 16384;
	setsockopt(*a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	setsockopt(*b, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
}

#define XFER (2L << 20)

static void part_sendfile(void)
{
	int a, b;
	tcp_pair_small(&a, &b);
	struct sink s = { .fd = b };
	pthread_t t;
	pthread_create(&t, NULL, sink_main, &s);
	off_t off = 0;
	while (off < XFER) {
		ssize_t r = sendfile(a, fd, &off, (size_t)(XFER - off));
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r > 0, "sendfile: %s", ename(errno));
		if (r <= 0)
			break;
	}
	close(a);
	pthread_join(t, NULL);
	close(b);
	unsigned char *all = malloc(XFER);
	pread(fd, all, XFER, 0);
	unsigned long want = sum_bytes(0, all, XFER);
	free(all);
	printf("sendfile: %ld bytes received, checksum %s, file offset after: %ld\n", s.total,
	       s.sum == want ? "ok" : "BAD", (long)lseek(fd, 0, SEEK_CUR));
	CHECK(s.total == XFER && s.sum == want, "sendfile data");
}

struct feeder {
	int fd;
	long n;
	unsigned long sum;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	sleep_ms(400);
	unsigned char buf[8192];
	for (long done = 0; done < f->n; done += sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = pattern(done + (long)i);
		f->sum = sum_bytes(f->sum, buf, sizeof buf);
		CHECK(write_all(f->fd, buf, sizeof buf) == 0, "feeder write: %s", ename(errno));
	}
	close(f->fd);
	return NULL;
}

static void part_splice(void)
{
	int a, b, p[2];
	tcp_pair_small(&a, &b);
	pipe2(p, O_CLOEXEC);
	struct feeder f = { .fd = p[1], .n = 1L << 20 };
	struct sink s = { .fd = b, .use_splice = 1 };
	pthread_t tf, ts;
	pthread_create(&tf, NULL, feeder_main, &f);
	pthread_create(&ts, NULL, sink_main, &s);
	long moved = 0;
	for (;;) {
		ssize_t r = splice(p[0], NULL, a, NULL, 65536, SPLICE_F_MOVE);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r >= 0, "splice pipe->socket: %s", ename(errno));
		if (r <= 0)
			break;
		moved += r;
	}
	close(a);
	close(p[0]);
	pthread_join(tf, NULL);
	pthread_join(ts, NULL);
	close(b);
	printf("splice: pipe->socket %ld bytes, socket->pipe %ld bytes, checksum %s\n", moved,
	       s.total, s.sum == f.sum ? "ok" : "BAD");
	CHECK(moved == f.n && s.total == f.n && s.sum == f.sum, "splice data");
}

/* ---- 6. copy_file_range ---- */

static void part_copy_file_range(void)
{
	char cpath[64];
	strcpy(cpath, "/tmp/daemon_files_copyXXXXXX");
	int cfd = mkstemp(cpath);
	unlink(cpath);
	loff_t in = 0, out = 0;
	long copied = 0;
	while (copied < XFER) {
		ssize_t r = copy_file_range(fd, &in, cfd, &out, (size_t)(XFER - copied), 0);
		CHECK(r > 0, "copy_file_range: %s", ename(errno));
		if (r <= 0)
			break;
		copied += r;
	}
	unsigned char *x = malloc(XFER), *y = malloc(XFER);
	pread(fd, x, XFER, 0);
	pread(cfd, y, XFER, 0);
	int same = memcmp(x, y, XFER) == 0;
	free(x);
	free(y);
	close(cfd);
	printf("copy_file_range: %ld bytes, identical: %s\n", copied, same ? "yes" : "no");
	CHECK(same && copied == XFER, "copy_file_range data");
}

/* ---- 7. FIFO open ---- */

static char fifo[96];

static void *fifo_writer(void *arg)
{
	(void)arg;
	sleep_ms(400);
	int w = open(fifo, O_WRONLY | O_CLOEXEC);
	CHECK(w >= 0, "open fifo for writing: %s", ename(errno));
	write_all(w, "through the fifo\n", 17);
	close(w);
	return NULL;
}

static void part_fifo(void)
{
	char dir[64];
	strcpy(dir, "/tmp/daemon_files_fifoXXXXXX");
	CHECK(mkdtemp(dir), "mkdtemp: %s", ename(errno));
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", ename(errno));
	pthread_t t;
	pthread_create(&t, NULL, fifo_writer, NULL);
	long t0 = now_ms();
	int r = open(fifo, O_RDONLY | O_CLOEXEC);
	long waited = now_ms() - t0;
	fprintf(stderr, "fifo open waited %ld ms\n", waited);
	char buf[64];
	ssize_t n = read_full(r, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	pthread_join(t, NULL);
	close(r);
	unlink(fifo);
	rmdir(dir);
	printf("fifo: open O_RDONLY waited for the writer: %s; read %zd bytes: %s",
	       waited >= 200 ? "yes" : "no", n, buf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);
	ticker_start();
	strcpy(path, "/tmp/daemon_filesXXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", ename(errno));
	part_pwrite();
	part_append();
	part_locks();
	unsigned char buf[65536];
	for (long off = 0; off < XFER; off += sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = pattern(off + (long)i);
		pwrite(fd, buf, sizeof buf, off);
	}
	part_sendfile();
	part_splice();
	part_copy_file_range();
	part_fifo();
	close(fd);
	unlink(path);
	ticker_stop();
	return check_status();
}

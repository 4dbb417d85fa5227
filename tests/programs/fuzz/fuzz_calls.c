/* fuzz_calls: a differential fuzzer of the blocking and fd calls (issue #16).
 *
 * usage: fuzz_calls [--seed N] [--calls N] [--threads N]
 *
 * From the seed, each thread (the main thread alone, or N worker threads each
 * with its own fds) makes a long pseudo-random sequence of calls with
 * adversarial arguments on fds of every kind it holds (pipes, Unix stream and
 * datagram socketpairs, a TCP listener and a connected pair, UDP sockets on
 * 127.0.0.1, eventfd, timerfd, a regular file, /dev/null, a FIFO, an epoll
 * fd), closed, negative and huge fd numbers, NULL, unmapped (PROT_NONE) and
 * read-only pointers, zero, huge and negative lengths and timeouts, invalid
 * flags; it flips O_NONBLOCK (fcntl, ioctl FIONBIO), dup2s over live fds,
 * shuts sockets down, and interrupts blocking calls with signals (SIGALRM from
 * setitimer in single-threaded mode, SIGUSR1/SIGUSR2 from pthread_kill by a
 * helper thread with several threads; handlers with and without SA_RESTART).
 *
 * It knows nothing of libgreen: tests/diff/difftest.py and tools/fuzz.sh run
 * it natively and preloaded and compare stdout. So stdout must be
 * deterministic natively:
 *   - one line per call: thread, call number, the call with its arguments'
 *     kinds (slot names such as pipe_r, "buf", "ro", "none"), and the result:
 *     a value or -1 and the errno name, a hash of bytes read;
 *   - new fd numbers are printed in single-threaded mode (libgreen keeps the
 *     program's numbers), as "fd" with several threads (threads race for them);
 *   - every call is safe: a call that could block does so only when it
 *     cannot block forever and its outcome does not depend on timing: the fd
 *     is non-blocking, or ready (poll with timeout 0 first, data already
 *     sent), or has SO_RCVTIMEO, or a repeating signal interrupts it (then
 *     only calls that must end in EINTR, or a read that the handler feeds
 *     after an SA_RESTART signal);
 *   - TCP data is awaited (FIONREAD) before a call whose result depends on it,
 *     and writes are kept small so no buffer is ever close to full;
 *   - with several threads, output is collected per thread and printed in
 *     thread order at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* ---------------------------------------------------------------- output */

struct out {
	char *buf;
	size_t len, cap;
	bool direct; /* single-threaded: straight to stdout */
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->direct) {
		fwrite(s, 1, n, stdout);
		return;
	}
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static const char *en(int e) { return ename(e); }

/* ----------------------------------------------------------------- model */

enum kind {
	K_NONE, K_PIPE_R, K_PIPE_W, K_US, K_UD, K_LISTEN, K_TCP, K_UDP, K_EFD, K_TFD,
	K_FILE, K_NULL, K_FIFO_R, K_FIFO_W, K_EPOLL, K_NKINDS
};
static const char *kname[] = {"none", "pipe_r", "pipe_w", "ustream", "udgram", "listen", "tcp",
			      "udp", "eventfd", "timerfd", "file", "null", "fifo_r", "fifo_w",
			      "epoll"};

/* The slots: fixed roles, each naming an fd the thread holds (or closed). */
enum {
	S_PIPE_R, S_PIPE_W, S_US_A, S_US_B, S_UD_A, S_UD_B, S_LISTEN, S_TCP_C, S_TCP_S,
	S_UDP_A, S_UDP_B, S_EFD, S_TFD, S_FILE, S_NULL, S_FIFO_R, S_FIFO_W, S_EP, NSLOT
};
static const char *sname[NSLOT] = {"pipe_r", "pipe_w", "us_a", "us_b", "ud_a", "ud_b",
				   "listen", "tcp_c", "tcp_s", "udp_a", "udp_b", "efd",
				   "tfd", "file", "null", "fifo_r", "fifo_w", "ep"};
/* Groups: slots made together, renewed together. */
enum { G_PIPE, G_US, G_UD, G_TCP, G_UDP, G_EFD, G_TFD, G_FILE, G_NULL, G_FIFO, G_EP, NGROUP };
static const int group_of[NSLOT] = {G_PIPE, G_PIPE, G_US, G_US, G_UD, G_UD, G_TCP, G_TCP,
				    G_TCP, G_UDP, G_UDP, G_EFD, G_TFD, G_FILE, G_NULL,
				    G_FIFO, G_FIFO, G_EP};
static const char *gname[NGROUP] = {"pipe", "ustream", "udgram", "tcp", "udp", "eventfd",
				    "timerfd", "file", "null", "fifo", "epoll"};

#define MAXOBJ 64
/* An open file description (what several numbers share after dup). */
struct obj {
	int kind;
	int refs;      /* slots naming it */
	bool nonblock; /* the description's O_NONBLOCK */
	bool rcvtimeo; /* socket has SO_RCVTIMEO */
	int peer;      /* the object its writes go to / reads come from, or -1 */
	long pending;  /* bytes queued to be read from it (eventfd: its count) */
	int pcount;    /* datagrams queued */
	bool gone;     /* closed for good */
	bool eof;      /* its peer shut down writing (or is gone), or it shut down reading */
	bool wr_shut;  /* it shut down writing */
	int lpending;  /* listener: connections waiting for accept */
	long unpaired; /* TCP client: bytes sent before its server side was accepted */
};

struct ctx {
	int tid;
	uint64_t rng;
	struct out out;
	long callno;
	int fd[NSLOT];  /* -1 closed */
	int ob[NSLOT];  /* object index, -1 closed */
	struct obj objs[MAXOBJ];
	int nobj;
	struct sockaddr_in listen_addr, refused_addr, udp_a_addr, udp_b_addr;
	int refused_fd; /* bound, not listening: connect to it is refused */
	char path[128], fifo_path[128];
	pthread_mutex_t mu;  /* normal mutex for timedlock */
	pthread_mutex_t cmu;
	pthread_cond_t cond;
	sem_t sem;
	int semval;
	bool mu_held;
	int closed_fd; /* a number never open */
	/* multi-threaded interruption */
	pthread_t self;
	pthread_t intr;
	pthread_mutex_t imu;
	pthread_cond_t icv;
	bool armed, quit, feed_done;
	int isig, feed_fd;
	/* this thread's memory: RW_SIZE bytes, a PROT_NONE page, a read-only page */
	char *mem, *none, *ro;
	/* clients connected to the listener, oldest first, not accepted yet */
	int lq[4], lqn, lq_owner;
	/* hidden duplicates keeping every UDP port this thread bound bound until
	 * it ends: a port closed and bound again (by this or another thread)
	 * would get datagrams sent to the old one, at random */
	int hidden[64], nhidden;
};

static bool g_multi;
static long g_page;
#define RW_SIZE 16384

static uint64_t rnd(struct ctx *c)
{
	uint64_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return x;
}
static int rn(struct ctx *c, int n) { return (int)(rnd(c) % (uint64_t)n); }
static bool chance(struct ctx *c, int pct) { return rn(c, 100) < pct; }

__attribute__((format(printf, 2, 3))) static void say(struct ctx *c, const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "T%d #%ld ", c->tid, c->callno);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	out_add(&c->out, line, (size_t)n);
}

/* "= 5" or "= -1 EAGAIN", errno read right after the call. */
static const char *res(long r, int e)
{
	static __thread char b[64];
	if (r < 0)
		snprintf(b, sizeof b, "-1 %s", en(e));
	else
		snprintf(b, sizeof b, "%ld", r);
	return b;
}

static struct obj *O(struct ctx *c, int slot)
{
	return c->ob[slot] >= 0 ? &c->objs[c->ob[slot]] : NULL;
}

static int new_obj(struct ctx *c, int kind)
{
	int i;
	for (i = 0; i < c->nobj; i++) {
		bool queued = false; /* a waiting client keeps its index until accepted */
		for (int q = 0; q < c->lqn; q++)
			queued |= c->lq[q] == i;
		if (c->objs[i].gone && c->objs[i].refs == 0 && !queued)
			break;
	}
	if (i == c->nobj) {
		if (c->nobj == MAXOBJ) {
			fprintf(stderr, "out of objects\n");
			exit(3);
		}
		c->nobj++;
	}
	memset(&c->objs[i], 0, sizeof c->objs[i]);
	c->objs[i].kind = kind;
	c->objs[i].peer = -1;
	return i;
}

static void obj_unref(struct ctx *c, int oi)
{
	struct obj *o = &c->objs[oi];
	if (--o->refs > 0)
		return;
	o->gone = true;
	if (o->kind == K_LISTEN && oi == c->lq_owner) {
		/* waiting clients are reset */
		for (int i = 0; i < c->lqn; i++) {
			c->objs[c->lq[i]].eof = true;
			c->objs[c->lq[i]].unpaired = 0;
		}
		c->lqn = 0;
		c->lq_owner = -1;
	}
	if (o->peer >= 0) {
		struct obj *p = &c->objs[o->peer];
		p->eof = true;
		p->peer = -1;
	}
	o->peer = -1;
}

/* The slot's number is gone (closed or replaced). */
static void slot_drop(struct ctx *c, int s)
{
	if (c->ob[s] >= 0)
		obj_unref(c, c->ob[s]);
	c->ob[s] = -1;
	c->fd[s] = -1;
}

/* Any other number naming the same fd number (after dup2 into a slot whose
 * number another slot also held: cannot happen, numbers are unique). */
static int slot_of_fd(struct ctx *c, int fd)
{
	for (int s = 0; s < NSLOT; s++)
		if (c->fd[s] == fd)
			return s;
	return -1;
}

/* A live fd of object oi, or -1. */
static int fd_of_obj(struct ctx *c, int oi)
{
	for (int s = 0; s < NSLOT; s++)
		if (c->ob[s] == oi && c->fd[s] >= 0)
			return c->fd[s];
	return -1;
}

static void set_slot(struct ctx *c, int s, int fd, int oi)
{
	c->fd[s] = fd;
	c->ob[s] = oi;
	c->objs[oi].refs++;
}

/* Fails setup loudly: the native run fails the same way and the test says so. */
static void die(const char *what)
{
	printf("FAIL: setup: %s: %s\n", what, en(errno));
	exit(2);
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void close_group(struct ctx *c, int g)
{
	for (int s = 0; s < NSLOT; s++)
		if (group_of[s] == g && c->fd[s] >= 0) {
			close(c->fd[s]);
			slot_drop(c, s);
		}
}

static void pair_objs(struct ctx *c, int s1, int fd1, int k1, int s2, int fd2, int k2)
{
	int a = new_obj(c, k1), b = new_obj(c, k2);
	c->objs[a].peer = b;
	c->objs[b].peer = a;
	set_slot(c, s1, fd1, a);
	set_slot(c, s2, fd2, b);
}

/* (Re)makes group g's fds. Setup calls are not printed: they are the
 * fuzzer's own and their results cannot differ without a later line saying so. */
static void make_group(struct ctx *c, int g)
{
	int fds[2];
	close_group(c, g);
	switch (g) {
	case G_PIPE:
		if (pipe(fds))
			die("pipe");
		pair_objs(c, S_PIPE_R, fds[0], K_PIPE_R, S_PIPE_W, fds[1], K_PIPE_W);
		break;
	case G_US:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
			die("socketpair");
		pair_objs(c, S_US_A, fds[0], K_US, S_US_B, fds[1], K_US);
		break;
	case G_UD:
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fds))
			die("socketpair");
		pair_objs(c, S_UD_A, fds[0], K_UD, S_UD_B, fds[1], K_UD);
		break;
	case G_TCP: {
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t al = sizeof a;
		if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 16) ||
		    getsockname(l, (void *)&c->listen_addr, &al))
			die("listener");
		int cl = socket(AF_INET, SOCK_STREAM, 0);
		if (cl < 0 || connect(cl, (void *)&c->listen_addr, sizeof c->listen_addr))
			die("connect");
		int sv = accept(l, NULL, NULL);
		if (sv < 0)
			die("accept");
		nodelay(cl);
		nodelay(sv);
		int lo = new_obj(c, K_LISTEN);
		set_slot(c, S_LISTEN, l, lo);
		c->lqn = 0;
		c->lq_owner = lo;
		pair_objs(c, S_TCP_C, cl, K_TCP, S_TCP_S, sv, K_TCP);
		break;
	}
	case G_UDP: {
		int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in x = {.sin_family = AF_INET};
		x.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t al = sizeof x;
		if (a < 0 || b < 0 || bind(a, (void *)&x, sizeof x) || bind(b, (void *)&x, sizeof x) ||
		    getsockname(a, (void *)&c->udp_a_addr, &al))
			die("udp");
		al = sizeof x;
		getsockname(b, (void *)&c->udp_b_addr, &al);
		if (connect(b, (void *)&c->udp_a_addr, sizeof c->udp_a_addr))
			die("udp connect");
		pair_objs(c, S_UDP_A, a, K_UDP, S_UDP_B, b, K_UDP);
		if (c->nhidden + 2 <= 64) {
			c->hidden[c->nhidden++] = fcntl(a, F_DUPFD_CLOEXEC, 700);
			c->hidden[c->nhidden++] = fcntl(b, F_DUPFD_CLOEXEC, 700);
		}
		break;
	}
	case G_EFD: {
		int fd = eventfd(0, 0);
		if (fd < 0)
			die("eventfd");
		set_slot(c, S_EFD, fd, new_obj(c, K_EFD));
		break;
	}
	case G_TFD: {
		int fd = timerfd_create(CLOCK_MONOTONIC, 0);
		struct itimerspec its = {.it_value = {3600, 0}};
		if (fd < 0 || timerfd_settime(fd, 0, &its, NULL))
			die("timerfd");
		set_slot(c, S_TFD, fd, new_obj(c, K_TFD));
		break;
	}
	case G_FILE: {
		int fd = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			die("open file");
		if (write(fd, c->mem, 6000) != 6000)
			die("file write");
		lseek(fd, 0, SEEK_SET);
		set_slot(c, S_FILE, fd, new_obj(c, K_FILE));
		break;
	}
	case G_NULL: {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			die("/dev/null");
		set_slot(c, S_NULL, fd, new_obj(c, K_NULL));
		break;
	}
	case G_FIFO: {
		int r = open(c->fifo_path, O_RDONLY | O_NONBLOCK);
		int w = r < 0 ? -1 : open(c->fifo_path, O_WRONLY);
		if (r < 0 || w < 0)
			die("fifo");
		pair_objs(c, S_FIFO_R, r, K_FIFO_R, S_FIFO_W, w, K_FIFO_W);
		c->objs[c->ob[S_FIFO_R]].nonblock = true;
		break;
	}
	case G_EP: {
		int fd = epoll_create1(0);
		if (fd < 0)
			die("epoll");
		set_slot(c, S_EP, fd, new_obj(c, K_EPOLL));
		break;
	}
	}
}

/* ------------------------------------------------------------- arguments */

/* An fd argument: a slot (live or closed), or a special number. */
struct fdarg {
	int fd;
	int slot; /* -1 special */
	char name[48];
};

static struct fdarg pick_fd(struct ctx *c)
{
	struct fdarg a = {.slot = -1};
	int r = rn(c, 100);
	if (r < 90) {
		int s = rn(c, NSLOT);
		a.slot = s;
		a.fd = c->fd[s];
		struct obj *o = O(c, s);
		if (a.fd < 0) {
			a.fd = c->closed_fd;
			a.slot = -1;
			snprintf(a.name, sizeof a.name, "%s(closed)", sname[s]);
		} else if (o && strcmp(kname[o->kind], sname[s]) != 0 &&
			   !(o->kind == K_US && (s == S_US_A || s == S_US_B)) &&
			   !(o->kind == K_UD && (s == S_UD_A || s == S_UD_B)) &&
			   !(o->kind == K_TCP && (s == S_TCP_C || s == S_TCP_S)) &&
			   !(o->kind == K_UDP && (s == S_UDP_A || s == S_UDP_B)) &&
			   !(o->kind == K_EFD && s == S_EFD) && !(o->kind == K_TFD && s == S_TFD) &&
			   !(o->kind == K_EPOLL && s == S_EP)) {
			snprintf(a.name, sizeof a.name, "%s=%s", sname[s], kname[o->kind]);
		} else {
			snprintf(a.name, sizeof a.name, "%s", sname[s]);
		}
		return a;
	}
	static const struct {
		int fd;
		const char *n;
	} sp[] = {{-1, "-1"}, {-1000, "-1000"}, {1 << 20, "huge"}, {INT_MAX, "INT_MAX"}, {0, "closed"}};
	int i = rn(c, 5);
	a.fd = i == 4 ? c->closed_fd : sp[i].fd;
	snprintf(a.name, sizeof a.name, "%s", sp[i].n);
	return a;
}

/* A buffer pointer: NULL, unmapped, read-only, the RW area, its tail (the
 * unmapped page follows 16 bytes later). */
enum { B_BUF, B_TAIL, B_NULL, B_NONE, B_RO };
static const char *bname[] = {"buf", "tail", "NULL", "none", "ro"};

static int pick_bufkind(struct ctx *c)
{
	int r = rn(c, 100);
	if (r < 70)
		return B_BUF;
	if (r < 78)
		return B_TAIL;
	if (r < 84)
		return B_NULL;
	if (r < 92)
		return B_NONE;
	return B_RO;
}

static char *bufp(struct ctx *c, int k)
{
	switch (k) {
	case B_BUF: return c->mem;
	case B_TAIL: return c->mem + RW_SIZE - 16;
	case B_NULL: return NULL;
	case B_NONE: return c->none;
	default: return c->ro;
	}
}


/* Lengths: 0, small, a page, the whole RW area, huge, "negative". */
static size_t pick_len(struct ctx *c, const char **name)
{
	static const struct {
		size_t n;
		const char *s;
	} L[] = {{0, "0"}, {1, "1"}, {7, "7"}, {64, "64"}, {512, "512"}, {4096, "4096"},
		 {RW_SIZE, "16384"}, {(size_t)1 << 30, "1G"}, {(size_t)-1, "-1"}};
	int r = rn(c, 100);
	int i = r < 5 ? 0 : r < 20 ? 1 : r < 35 ? 2 : r < 55 ? 3 : r < 72 ? 4 : r < 82 ? 5 : r < 88 ? 6 : r < 95 ? 7 : 8;
	*name = L[i].s;
	return L[i].n;
}

/* Bytes a write of n from kind k could move at most (the copy stops at the
 * unmapped page). */
static size_t reach(int bk, size_t n)
{
	size_t room = bk == B_BUF ? RW_SIZE : bk == B_TAIL ? 16 : bk == B_RO ? (size_t)g_page : 0;
	return n < room ? n : room;
}

static uint32_t hash(const char *p, long n)
{
	uint32_t h = 2166136261u;
	for (long i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* ---------------------------------------------------------- readiness */

static bool is_dgram(int k) { return k == K_UD || k == K_UDP; }

/* poll(fd, ev, 0): the revents (the fuzzer's own look; not printed). */
static int peek(int fd, short ev)
{
	struct pollfd p = {fd, ev, 0};
	if (poll(&p, 1, 0) != 1)
		return 0;
	return p.revents;
}

/* TCP on loopback delivers within the sender's call, nearly always; wait
 * (bounded) until the receive queue holds what the model says was sent, and
 * the end of file if the peer is gone, so results never depend on timing. */
static void settle_obj(struct ctx *c, int oi)
{
	struct obj *o = &c->objs[oi];
	if (o->kind != K_TCP || o->gone)
		return;
	int fd = fd_of_obj(c, oi);
	if (fd < 0)
		return;
	for (int i = 0; i < 200; i++) {
		int n = 0;
		if (ioctl(fd, FIONREAD, &n) < 0)
			return;
		bool ok = n >= o->pending || (peek(fd, POLLIN) & (POLLERR | POLLHUP));
		if (ok && o->eof) {
			struct pollfd p = {fd, POLLRDHUP, 0};
			ok = poll(&p, 1, 0) == 1;
		}
		if (ok) {
			o->pending = n; /* resync (an urgent byte is not counted) */
			return;
		}
		usleep(1000);
	}
	fprintf(stderr, "T%d #%ld: tcp obj %d (fd %d) did not settle: pending %ld eof %d\n", c->tid, c->callno, oi, fd, o->pending, o->eof);
}

static void settle_all(struct ctx *c)
{
	for (int i = 0; i < c->nobj; i++)
		settle_obj(c, i);
}


/* Would a blocking read-type call on the slot return at once? */
static bool read_wont_block(struct ctx *c, int slot, int flags)
{
	struct obj *o = O(c, slot);
	if (!o)
		return true; /* EBADF */
	if (o->nonblock || (flags & MSG_DONTWAIT))
		return true;
	switch (o->kind) {
	case K_FILE: case K_NULL: case K_EPOLL: case K_LISTEN: case K_PIPE_W: case K_FIFO_W:
		return o->kind != K_LISTEN || true;
	default:
		break;
	}
	settle_obj(c, c->ob[slot]);
	int ev = peek(c->fd[slot], POLLIN);
	if (!ev)
		return false;
	if (o->kind == K_US || o->kind == K_UD || o->kind == K_TCP || o->kind == K_UDP) {
		/* and the socket agrees it has something to say */
		char x;
		if (recv(c->fd[slot], &x, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN) {
			fprintf(stderr, "T%d #%ld: %s polls readable, recv says EAGAIN\n", c->tid, c->callno,
				sname[slot]);
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------- interruption */

static volatile sig_atomic_t g_feed_fd = -1, g_fed;
static volatile sig_atomic_t g_sigs;

static void on_alarm(int s)
{
	(void)s;
	g_sigs++;
	if (g_feed_fd >= 0 && !g_fed) {
		g_fed = 1;
		int e = errno;
		if (write(g_feed_fd, "f", 1) != 1)
			g_sigs++; /* the call then ends by a later signal or the feed at disarm */
		errno = e;
	}
}

static void on_sig(int s)
{
	(void)s;
	g_sigs++;
}

static void handler(int sig, void (*fn)(int), bool restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void *interrupter(void *p)
{
	struct ctx *c = p;
	pthread_mutex_lock(&c->imu);
	for (;;) {
		while (!c->armed && !c->quit)
			pthread_cond_wait(&c->icv, &c->imu);
		if (c->quit)
			break;
		pthread_kill(c->self, c->isig);
		if (c->feed_fd >= 0 && !c->feed_done) {
			c->feed_done = true;
			if (write(c->feed_fd, "f", 1) != 1) {
				fprintf(stderr, "T%d #%ld: feed write to %d: %s\n", c->tid, c->callno, c->feed_fd, en(errno));
				(void)0;
			}
		}
		pthread_mutex_unlock(&c->imu);
		usleep(2000);
		pthread_mutex_lock(&c->imu);
	}
	pthread_mutex_unlock(&c->imu);
	return NULL;
}

/* Signals start arriving, every 2 ms, until disarm(). restart: the
 * SA_RESTART handler (then feed_fd gets one byte, so a restarted read ends). */
static void arm(struct ctx *c, bool restart, int feed_fd)
{
	if (!g_multi) {
		handler(SIGALRM, on_alarm, restart);
		g_fed = 0;
		g_feed_fd = feed_fd;
		struct itimerval it = {{0, 2000}, {0, 1000}};
		setitimer(ITIMER_REAL, &it, NULL);
		return;
	}
	pthread_mutex_lock(&c->imu);
	c->isig = restart ? SIGUSR2 : SIGUSR1;
	c->feed_fd = feed_fd;
	c->feed_done = false;
	c->armed = true;
	pthread_cond_signal(&c->icv);
	pthread_mutex_unlock(&c->imu);
}

static void disarm(struct ctx *c)
{
	int e = errno;
	if (!g_multi) {
		struct itimerval it = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &it, NULL);
		sigset_t s;
		sigpending(&s); /* a signal sent before the disarm is taken here */
		if (g_feed_fd >= 0 && !g_fed) {
			/* the call ended before any signal (EFAULT, say): feed
			 * anyway, so what is queued never depends on timing */
			g_fed = 1;
			if (write(g_feed_fd, "f", 1) != 1)
				fprintf(stderr, "feed write: %s\n", en(errno));
		}
		g_feed_fd = -1;
	} else {
		pthread_mutex_lock(&c->imu);
		c->armed = false;
		if (c->feed_fd >= 0 && !c->feed_done) {
			c->feed_done = true;
			if (write(c->feed_fd, "f", 1) != 1)
				fprintf(stderr, "feed write: %s\n", en(errno));
		}
		c->feed_fd = -1;
		pthread_mutex_unlock(&c->imu);
		sigset_t s;
		sigpending(&s);
	}
	errno = e;
}

/* A read-type call on a blocking fd that is not ready: how to make it safe.
 * Returns 0 skip, 1 interrupt (EINTR expected), 2 restart+feed. */
static int interrupt_plan(struct ctx *c, int slot, int *feed)
{
	struct obj *o = O(c, slot);
	*feed = -1;
	if (!o || o->rcvtimeo || !chance(c, 60))
		return 0;
	if (o->kind == K_TFD || o->kind == K_EFD)
		return 1;
	if (chance(c, 50) && o->peer >= 0 && !o->eof &&
	    (o->kind == K_PIPE_R || o->kind == K_US || o->kind == K_UD || o->kind == K_FIFO_R)) {
		int f = fd_of_obj(c, o->peer);
		if (f >= 0 && !c->objs[o->peer].nonblock && !c->objs[o->peer].wr_shut) {
			*feed = f;
			return 2;
		}
	}
	return 1;
}

/* ---------------------------------------------------------- the calls */

struct rplan {
	int how; /* 0 direct, 1 interrupted, 2 fed */
	int feed;
	bool restart; /* how 1: the handler has SA_RESTART (calls that are never restarted) */
};

/* Decides how a read-type call runs, or false to skip it (printed). */
static bool plan_read(struct ctx *c, const char *what, struct fdarg *f, int flags, struct rplan *p)
{
	p->how = 0;
	p->feed = -1;
	p->restart = false;
	if (f->slot < 0 || read_wont_block(c, f->slot, flags))
		return true;
	struct obj *o = O(c, f->slot);
	if (o->rcvtimeo && o->kind != K_PIPE_R && o->kind != K_FIFO_R)
		return true; /* SO_RCVTIMEO bounds it */
	p->how = interrupt_plan(c, f->slot, &p->feed);
	if (p->how == 0) {
		say(c, "%s(%s) skipped: would block", what, f->name);
		return false;
	}
	return true;
}

static void begin(struct ctx *c, struct rplan *p)
{
	if (p->how)
		arm(c, p->how == 2 || p->restart, p->feed);
}
static void end(struct ctx *c, struct rplan *p)
{
	if (p->how)
		disarm(c);
	if (p->how == 2) {
		/* the feed's byte is queued for the reader */
		for (int i = 0; i < c->nobj; i++)
			if (!c->objs[i].gone && c->objs[i].peer >= 0 && fd_of_obj(c, c->objs[i].peer) == p->feed) {
				c->objs[i].pending++;
				if (is_dgram(c->objs[i].kind))
					c->objs[i].pcount++;
				break;
			}
	}
}
static const char *how_s(struct rplan *p)
{
	return p->how == 1 ? (p->restart ? " [sig,SA_RESTART]" : " [sig]") : p->how == 2 ? " [sig,SA_RESTART+feed]" : "";
}

/* The model after n bytes were read from the slot's object. */
static void consumed(struct ctx *c, struct fdarg *f, long n, int flags)
{
	struct obj *o = f->slot >= 0 ? O(c, f->slot) : NULL;
	if (!o || n < 0 || (flags & MSG_PEEK))
		return;
	if (o->kind == K_EFD) {
		o->pending = 0;
		return;
	}
	if (is_dgram(o->kind)) {
		if (o->pcount > 0)
			o->pcount--;
		o->pending -= n;
		if (o->pcount == 0 || o->pending < 0)
			o->pending = 0;
		return;
	}
	o->pending -= n;
	if (o->pending < 0)
		o->pending = 0;
}

/* The model after a write of n bytes to the slot's object. */
static void produced(struct ctx *c, struct fdarg *f, long n)
{
	struct obj *o = f->slot >= 0 ? O(c, f->slot) : NULL;
	if (!o || n < 0)
		return;
	if (o->kind == K_EFD)
		return;
	if (o->peer < 0) {
		if (o->kind == K_TCP && !o->eof)
			o->unpaired += n;
		return;
	}
	struct obj *p = &c->objs[o->peer];
	p->pending += n;
	if (is_dgram(o->kind))
		p->pcount++;
}

/* May a blocking write of up to n bytes go ahead without blocking? */
static bool write_ok(struct ctx *c, struct fdarg *f, size_t n, int flags)
{
	struct obj *o = f->slot >= 0 ? O(c, f->slot) : NULL;
	if (!o || o->nonblock || (flags & MSG_DONTWAIT))
		return true;
	if (o->kind == K_EFD)
		return n < 8 || o->pending < (1L << 40); /* values written are small */
	if (o->peer < 0 && o->kind == K_TCP && !o->eof)
		return o->unpaired + (long)n < 40000; /* not accepted yet */
	if (o->peer < 0)
		return true; /* peer gone: EPIPE; or no peer: fails at once */
	struct obj *p = &c->objs[o->peer];
	if (o->kind == K_UD)
		return p->pcount < 8 && p->pending + (long)n < 65536;
	if (o->kind == K_UDP)
		return p->pcount < 64 && p->pending + (long)n < 100000;
	return p->pending + (long)n < 40000;
}

static const char *msgflags_s(int fl)
{
	static __thread char b[64];
	b[0] = 0;
	if (!fl)
		return "0";
	if (fl & MSG_DONTWAIT) strcat(b, "DONTWAIT|");
	if (fl & MSG_PEEK) strcat(b, "PEEK|");
	if (fl & MSG_WAITALL) strcat(b, "WAITALL|");
	if (fl & MSG_TRUNC) strcat(b, "TRUNC|");
	if (fl & MSG_NOSIGNAL) strcat(b, "NOSIGNAL|");
	if (fl & MSG_OOB) strcat(b, "OOB|");
	if (fl & 0x40000000) strcat(b, "BAD|");
	b[strlen(b) - 1] = 0;
	return b;
}

static int pick_rflags(struct ctx *c)
{
	int f = 0;
	if (chance(c, 25)) f |= MSG_DONTWAIT;
	if (chance(c, 10)) f |= MSG_PEEK;
	if (chance(c, 8)) f |= MSG_WAITALL;
	if (chance(c, 5)) f |= MSG_TRUNC;
	if (chance(c, 3)) f |= MSG_OOB;
	return f;
}

static int pick_wflags(struct ctx *c)
{
	int f = 0;
	if (chance(c, 25)) f |= MSG_DONTWAIT;
	if (chance(c, 30)) f |= MSG_NOSIGNAL;
	if (chance(c, 3)) f |= MSG_OOB;
	return f;
}

/* WAITALL on a blocking stream could wait for more than is there. */
static int tame_rflags(struct ctx *c, struct fdarg *f, int fl)
{
	struct obj *o = f->slot >= 0 ? O(c, f->slot) : NULL;
	if ((fl & MSG_WAITALL) && o && !o->nonblock && !(fl & MSG_DONTWAIT) && !o->rcvtimeo)
		fl &= ~MSG_WAITALL;
	if ((fl & MSG_WAITALL) && o && o->rcvtimeo && !(fl & MSG_DONTWAIT) && !o->nonblock)
		fl &= ~MSG_WAITALL; /* the partial result would depend on when data came */
	return fl;
}

static void show_read(struct ctx *c, const char *call, const char *args, long r, int e, char *b, struct rplan *p)
{
	if (r > 0 && b && r <= RW_SIZE)
		say(c, "%s(%s) = %ld h=%08x%s", call, args, r, hash(b, r), how_s(p));
	else
		say(c, "%s(%s) = %s%s", call, args, res(r, e), how_s(p));
}

static void do_read(struct ctx *c, int variant)
{
	struct fdarg f = pick_fd(c);
	int bk = pick_bufkind(c);
	const char *ln;
	size_t n = pick_len(c, &ln);
	static const char *names[] = {"read", "readv", "pread", "preadv2", "recv", "recvfrom", "recvmsg"};
	const char *call = names[variant];
	int flags = variant >= 4 ? tame_rflags(c, &f, pick_rflags(c)) : 0;
	int rwf = 0;
	long off = -1;
	if (variant == 3) {
		int r = rn(c, 5);
		rwf = r == 0 ? RWF_NOWAIT : r == 1 ? 0x1000 : 0;
		off = chance(c, 50) ? -1 : chance(c, 80) ? rn(c, 8000) : -5;
	}
	if (variant == 2)
		off = chance(c, 85) ? rn(c, 8000) : -5;
	struct rplan p;
	char args[160];
	snprintf(args, sizeof args, "%s,%s,%s", f.name, bname[bk], ln);
	if (variant >= 4)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",%s", msgflags_s(flags));
	if (variant == 3)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",off=%ld,%s", off,
			 rwf == RWF_NOWAIT ? "NOWAIT" : rwf ? "BAD" : "0");
	if (variant == 2)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",off=%ld", off);
	/* pread/preadv2 with an offset never block on what they accept (files);
	 * on a pipe or socket they fail at once, except preadv2 at -1. */
	bool positional = (variant == 2) || (variant == 3 && off != -1);
	bool nowait = variant == 3 && (rwf & RWF_NOWAIT);
	if (!positional && !nowait && !plan_read(c, call, &f, flags, &p))
		return;
	if (positional || nowait)
		p.how = 0, p.feed = -1, p.restart = false;
	char *b = bufp(c, bk);
	struct iovec iov[3];
	int iovcnt = 1;
	iov[0].iov_base = b;
	iov[0].iov_len = n;
	if (variant == 1 || variant == 3 || variant == 6) {
		int r = rn(c, 10);
		if (r == 0)
			iovcnt = 0;
		else if (r == 1 && n <= RW_SIZE / 2) {
			iovcnt = 2;
			iov[1].iov_base = b ? b + n : NULL;
			iov[1].iov_len = n;
		} else if (r == 2)
			iovcnt = -1;
	}
	struct iovec *iv = iov;
	if (chance(c, 3))
		iv = (struct iovec *)c->none;
	if (variant == 1 || variant == 3 || variant == 6)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",iov%s%d",
			 iv == iov ? "" : "@none:", iovcnt);
	/* iovcnt 0 / -1: no wait is possible except for a zero-length datagram
	 * read, which the plan treats as any read */
	long r;
	int e;
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	begin(c, &p);
	errno = 0;
	switch (variant) {
	case 0: r = read(f.fd, b, n); break;
	case 1: r = readv(f.fd, iv, iovcnt); break;
	case 2: r = pread(f.fd, b, n, off); break;
	case 3: r = preadv2(f.fd, iv, iovcnt, off, rwf); break;
	case 4: r = recv(f.fd, b, n, flags); break;
	case 5: r = recvfrom(f.fd, b, n, flags, (struct sockaddr *)&from, &fl); break;
	default: {
		struct msghdr m = {.msg_iov = iv, .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt};
		r = recvmsg(f.fd, &m, flags);
		break;
	}
	}
	e = errno;
	end(c, &p);
	if (r >= 0 && e != 0)
		say(c, "%s(%s) errno changed on success: %s", call, args, en(e));
	if (iovcnt == 2 && r > 0)
		show_read(c, call, args, r, e, b, &p);
	else
		show_read(c, call, args, r, e, b, &p);
	if (!positional || (O(c, f.slot >= 0 ? f.slot : 0) && f.slot >= 0 && O(c, f.slot)->kind != K_FILE))
		consumed(c, &f, r, flags);
}

static void do_write(struct ctx *c, int variant)
{
	struct fdarg f = pick_fd(c);
	int bk = pick_bufkind(c);
	const char *ln;
	size_t n = pick_len(c, &ln);
	static const char *names[] = {"write", "writev", "pwrite", "pwritev2", "send", "sendto", "sendmsg"};
	const char *call = names[variant];
	int flags = variant >= 4 ? pick_wflags(c) : 0;
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	if (o && o->kind == K_TCP) {
		flags &= ~MSG_OOB; /* urgent data: not in FIONREAD, so not awaited */
		if (n > 4096 && bk != B_NULL && bk != B_NONE) {
			/* how much of a long write TCP takes before the copy faults
			 * depends on its send buffer's state: timing */
			n = 4096;
			ln = "4096";
		}
	}
	if (o && o->kind == K_EFD) {
		/* an eventfd takes 8-byte values; from the RW area they are small
		 * ones, so the count never nears its maximum (a write would block) */
		if (chance(c, 70)) {
			n = 8;
			ln = "8";
		}
		if (bk == B_TAIL || bk == B_RO)
			bk = B_BUF;
	}
	long off = -1;
	int rwf = 0;
	if (variant == 2)
		off = chance(c, 85) ? rn(c, 8000) : -5;
	if (variant == 3) {
		int r = rn(c, 5);
		rwf = r == 0 ? RWF_NOWAIT : r == 1 ? 0x1000 : 0;
		off = chance(c, 50) ? -1 : chance(c, 80) ? rn(c, 8000) : -5;
	}
	int iovcnt = 1;
	if (variant == 1 || variant == 3 || variant == 6) {
		int r = rn(c, 10);
		iovcnt = r == 0 ? 0 : r == 1 ? -1 : 1;
	}
	char args[160];
	snprintf(args, sizeof args, "%s,%s,%s", f.name, bname[bk], ln);
	if (variant >= 4)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",%s", msgflags_s(flags));
	if (variant == 2 || variant == 3)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",off=%ld", off);
	if (variant == 3)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",%s",
			 rwf == RWF_NOWAIT ? "NOWAIT" : rwf ? "BAD" : "0");
	if (variant == 1 || variant == 3 || variant == 6)
		snprintf(args + strlen(args), sizeof args - strlen(args), ",iov%d", iovcnt);
	size_t moves = iovcnt > 0 ? reach(bk, n) : 0;
	if (!write_ok(c, &f, moves, flags)) {
		say(c, "%s(%s) skipped: peer full", call, args);
		return;
	}
	/* eventfd: a value that keeps the counter far from its maximum, unless
	 * the buffer is one of the bad ones */
	char *b = bufp(c, bk);
	uint64_t val = (uint64_t)rn(c, 5);
	if (o && o->kind == K_EFD && bk == B_BUF) {
		if (chance(c, 10))
			val = UINT64_MAX; /* EINVAL */
		/* in the fixed RW area, not on the stack: whether the stack
		 * address plus a huge length passes access_ok() depends on ASLR */
		memcpy(c->mem, &val, sizeof val);
		b = c->mem;
	}
	struct iovec iov = {b, n};
	long r;
	int e;
	errno = 0;
	switch (variant) {
	case 0: r = write(f.fd, b, n); break;
	case 1: r = writev(f.fd, &iov, iovcnt); break;
	case 2: r = pwrite(f.fd, b, n, off); break;
	case 3: r = pwritev2(f.fd, &iov, iovcnt, off, rwf); break;
	case 4: r = send(f.fd, b, n, flags); break;
	case 5: {
		struct sockaddr_in *to = NULL;
		if (o && o->kind == K_UDP && chance(c, 70))
			to = c->ob[S_UDP_A] == c->ob[f.slot] ? &c->udp_b_addr : &c->udp_a_addr;
		r = sendto(f.fd, b, n, flags, (struct sockaddr *)to, to ? sizeof *to : 0);
		break;
	}
	default: {
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt};
		if (o && o->kind == K_UDP && c->ob[S_UDP_A] == c->ob[f.slot]) {
			m.msg_name = &c->udp_b_addr;
			m.msg_namelen = sizeof c->udp_b_addr;
		}
		r = sendmsg(f.fd, &m, flags);
		break;
	}
	}
	e = errno;
	if (r >= 0 && e != 0)
		say(c, "%s(%s) errno changed on success: %s", call, args, en(e));
	say(c, "%s(%s) = %s", call, args, res(r, e));
	bool positional = variant == 2 || (variant == 3 && off != -1);
	if (o && o->kind == K_EFD && r == 8)
		o->pending += (long)val;
	else if (o && o->kind == K_EFD)
		(void)0;
	else if (!positional || (o && o->kind != K_FILE))
		produced(c, &f, r);
}

static void do_fcntl(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	int r, e;
	switch (rn(c, 6)) {
	case 0: {
		errno = 0;
		r = fcntl(f.fd, F_GETFL);
		e = errno;
		if (r >= 0)
			say(c, "fcntl(%s,F_GETFL) = acc%d%s%s", f.name, r & O_ACCMODE,
			    r & O_NONBLOCK ? "|NONBLOCK" : "", r & O_APPEND ? "|APPEND" : "");
		else
			say(c, "fcntl(%s,F_GETFL) = %s", f.name, res(r, e));
		break;
	}
	case 1:
	case 2: {
		bool nb = chance(c, 50);
		int extra = chance(c, 10) ? O_APPEND : 0;
		errno = 0;
		r = fcntl(f.fd, F_SETFL, (nb ? O_NONBLOCK : 0) | extra);
		e = errno;
		say(c, "fcntl(%s,F_SETFL,%s%s) = %s", f.name, nb ? "NONBLOCK" : "0", extra ? "|APPEND" : "",
		    res(r, e));
		if (r == 0 && o)
			o->nonblock = nb;
		break;
	}
	case 3:
		errno = 0;
		r = fcntl(f.fd, F_GETFD);
		e = errno;
		say(c, "fcntl(%s,F_GETFD) = %s", f.name, res(r, e));
		break;
	case 4:
		errno = 0;
		r = fcntl(f.fd, 9999);
		e = errno;
		say(c, "fcntl(%s,9999) = %s", f.name, res(r, e));
		break;
	default:
		errno = 0;
		r = fcntl(f.fd, F_SETFD, chance(c, 50) ? FD_CLOEXEC : 0);
		e = errno;
		say(c, "fcntl(%s,F_SETFD) = %s", f.name, res(r, e));
		break;
	}
}

static void do_ioctl(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	int r, e, v = 0;
	if (chance(c, 50)) {
		int on = chance(c, 50);
		int pk = rn(c, 10);
		int *arg = pk == 0 ? NULL : pk == 1 ? (int *)c->none : &on;
		errno = 0;
		r = ioctl(f.fd, FIONBIO, arg);
		e = errno;
		say(c, "ioctl(%s,FIONBIO,%s) = %s", f.name, pk == 0 ? "NULL" : pk == 1 ? "none" : on ? "1" : "0",
		    res(r, e));
		if (r == 0 && o && arg == &on)
			o->nonblock = on;
		return;
	}
	if (o)
		settle_obj(c, c->ob[f.slot]);
	int pk = rn(c, 10);
	int *arg = pk == 0 ? NULL : pk == 1 ? (int *)c->ro : &v;
	errno = 0;
	r = ioctl(f.fd, FIONREAD, arg);
	e = errno;
	if (r == 0 && arg == &v)
		say(c, "ioctl(%s,FIONREAD) = 0 n=%d", f.name, v);
	else
		say(c, "ioctl(%s,FIONREAD,%s) = %s", f.name, pk == 0 ? "NULL" : pk == 1 ? "ro" : "v", res(r, e));
}

static void print_newfd(struct ctx *c, const char *what, int r, int e)
{
	if (r >= 0 && !g_multi)
		say(c, "%s = fd%d", what, r);
	else if (r >= 0)
		say(c, "%s = fd", what);
	else
		say(c, "%s = %s", what, res(r, e));
}

/* A new number naming the slot's object goes into a free slot of the same
 * group if there is one, else it is closed again at once. */
static void adopt_dup(struct ctx *c, int newfd, int oi)
{
	for (int s = 0; s < NSLOT; s++)
		if (c->fd[s] < 0 && c->ob[s] < 0) {
			set_slot(c, s, newfd, oi);
			return;
		}
	close(newfd);
}

static void do_dup(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	int oi = f.slot >= 0 ? c->ob[f.slot] : -1;
	int r, e;
	char w[128];
	int which = rn(c, 4);
	if (which == 0) {
		errno = 0;
		r = dup(f.fd);
		e = errno;
		snprintf(w, sizeof w, "dup(%s)", f.name);
		print_newfd(c, w, r, e);
		if (r >= 0 && oi >= 0)
			adopt_dup(c, r, oi);
		else if (r >= 0)
			close(r);
		return;
	}
	if (which == 1) {
		errno = 0;
		r = fcntl(f.fd, F_DUPFD_CLOEXEC, 3);
		e = errno;
		snprintf(w, sizeof w, "fcntl(%s,F_DUPFD_CLOEXEC,3)", f.name);
		print_newfd(c, w, r, e);
		if (r >= 0 && oi >= 0)
			adopt_dup(c, r, oi);
		else if (r >= 0)
			close(r);
		return;
	}
	/* dup2/dup3 onto another slot's number (live or closed) or a special */
	struct fdarg t = pick_fd(c);
	if (t.slot < 0 && t.fd != c->closed_fd && chance(c, 70)) {
		/* an invalid target */
	}
	bool three = which == 3;
	int fl = three ? (chance(c, 80) ? O_CLOEXEC : 0x40) : 0;
	errno = 0;
	r = three ? dup3(f.fd, t.fd, fl) : dup2(f.fd, t.fd);
	e = errno;
	snprintf(w, sizeof w, "%s(%s,%s%s)", three ? "dup3" : "dup2", f.name, t.name,
		 three ? (fl == O_CLOEXEC ? ",CLOEXEC" : ",BAD") : "");
	if (r >= 0)
		say(c, "%s = %s", w, r == t.fd ? "newfd" : "other");
	else
		say(c, "%s = %s", w, res(r, e));
	if (r < 0 || r == f.fd)
		return;
	if (t.slot < 0) {
		close(r); /* a special number (the closed one) stays closed */
		return;
	}
	/* t's number now names f's object */
	int ts = slot_of_fd(c, r);
	if (ts >= 0)
		slot_drop(c, ts);
	if (oi >= 0) {
		if (ts >= 0)
			set_slot(c, ts, r, oi);
		else
			adopt_dup(c, r, oi);
	} else {
		close(r);
	}
}

static void do_close(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	errno = 0;
	int r = close(f.fd);
	int e = errno;
	say(c, "close(%s) = %s", f.name, res(r, e));
	if (r == 0 && f.slot >= 0)
		slot_drop(c, f.slot);
}

static void do_shutdown(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	int how = rn(c, 4);
	int h = how == 3 ? 7 : how;
	errno = 0;
	int r = shutdown(f.fd, h);
	int e = errno;
	static const char *hn[] = {"RD", "WR", "RDWR", "BAD"};
	say(c, "shutdown(%s,%s) = %s", f.name, hn[how], res(r, e));
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	if (r == 0 && o && (h == SHUT_WR || h == SHUT_RDWR)) {
		o->wr_shut = true;
		if (o->peer >= 0)
			c->objs[o->peer].eof = true;
	}
	if (r == 0 && o && (h == SHUT_RD || h == SHUT_RDWR))
		o->eof = true;
}

static void do_sockopt(struct ctx *c)
{
	struct fdarg f = pick_fd(c);
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	bool rcv = chance(c, 60);
	int ms = rn(c, 3) * 2; /* 0 (off), 2, 4 ms */
	struct timeval tv = {0, ms * 1000};
	socklen_t len = chance(c, 10) ? 3 : sizeof tv;
	errno = 0;
	int r = setsockopt(f.fd, SOL_SOCKET, rcv ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, len);
	int e = errno;
	say(c, "setsockopt(%s,%s,%dms%s) = %s", f.name, rcv ? "RCVTIMEO" : "SNDTIMEO", ms,
	    len == 3 ? ",len3" : "", res(r, e));
	if (r == 0 && o && rcv)
		o->rcvtimeo = ms != 0;
}

/* poll/ppoll/select/pselect over a few fds. */
static void do_poll(struct ctx *c, int variant)
{
	settle_all(c);
	struct pollfd p[4];
	struct fdarg fa[4];
	int n = 1 + rn(c, 4);
	char args[320] = "";
	for (int i = 0; i < n; i++) {
		fa[i] = pick_fd(c);
		p[i].fd = fa[i].fd;
		p[i].events = (short)((chance(c, 60) ? POLLIN : 0) | (chance(c, 50) ? POLLOUT : 0) |
				      (chance(c, 10) ? POLLPRI : 0) | (chance(c, 10) ? POLLRDHUP : 0));
		p[i].revents = 0;
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s:%x", i ? "," : "", fa[i].name,
			 p[i].events);
	}
	/* how ready the set is now, with the calls' own rules */
	struct pollfd q[4];
	memcpy(q, p, sizeof q);
	int ready = poll(q, (nfds_t)n, 0);
	int tk = rn(c, 10);
	struct rplan rp = {0, -1, false};
	int tmo = tk < 5 ? 0 : tk < 8 ? 1 : -1;
	if (tmo < 0 && ready == 0) {
		if (chance(c, 50))
			rp.how = 1, rp.restart = chance(c, 50); /* only a signal ends it: EINTR */
		else
			tmo = 1;
	}
	int r, e;
	const char *name = variant == 0 ? "poll" : variant == 1 ? "ppoll" : variant == 2 ? "select" : "pselect";
	if (variant <= 1) {
		struct pollfd *pp = p;
		nfds_t nf = (nfds_t)n;
		int bad = rn(c, 20);
		if (bad == 0)
			pp = NULL;
		else if (bad == 1)
			pp = (struct pollfd *)c->none;
		else if (bad == 2)
			nf = 1u << 20; /* more than RLIMIT_NOFILE: EINVAL */
		if (bad <= 2 && rp.how)
			rp.how = 0, tmo = 0;
		snprintf(args + strlen(args), sizeof args - strlen(args), "%s,t=%d",
			 bad == 0 ? ",NULL" : bad == 1 ? ",none" : bad == 2 ? ",nfds=1M" : "", tmo);
		begin(c, &rp);
		errno = 0;
		if (variant == 0) {
			r = poll(pp, nf, tmo);
		} else {
			struct timespec ts = {0, tmo > 0 ? 1000000 : 0};
			if (chance(c, 5)) {
				ts.tv_nsec = 1000000000; /* EINVAL */
				strcat(args, ",nsec=1e9");
			}
			sigset_t m;
			sigemptyset(&m);
			r = ppoll(pp, nf, tmo < 0 ? NULL : &ts, chance(c, 30) ? &m : NULL);
		}
		e = errno;
		end(c, &rp);
		char rv[64] = "";
		if (r >= 0 && pp == p)
			for (int i = 0; i < n; i++)
				snprintf(rv + strlen(rv), sizeof rv - strlen(rv), " %x", p[i].revents);
		say(c, "%s(%s) = %s%s%s", name, args, res(r, e), rv, how_s(&rp));
		return;
	}
	fd_set rs, ws, es;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	int maxfd = -1;
	bool badfd = false;
	for (int i = 0; i < n; i++) {
		if (p[i].fd < 0 || p[i].fd >= FD_SETSIZE) {
			badfd = true;
			continue;
		}
		if (p[i].events & POLLIN)
			FD_SET(p[i].fd, &rs);
		if (p[i].events & POLLOUT)
			FD_SET(p[i].fd, &ws);
		if (p[i].events & POLLPRI)
			FD_SET(p[i].fd, &es);
		if (p[i].fd > maxfd)
			maxfd = p[i].fd;
	}
	(void)badfd;
	int nfds = maxfd + 1;
	int bad = rn(c, 20);
	if (bad == 0)
		nfds = -1;
	if (bad <= 0 && rp.how)
		rp.how = 0, tmo = 0;
	{
		/* select's own readiness (POLLHUP on an fd only in exceptfds, say,
		 * is not select-ready) */
		fd_set r2 = rs, w2 = ws, e2 = es;
		struct timeval z = {0, 0};
		int sready = select(nfds, &r2, &w2, &e2, &z);
		if (sready != 0 && rp.how)
			rp.how = 0;
		if (sready == 0 && tmo < 0 && !rp.how)
			tmo = 1;
	}
	snprintf(args + strlen(args), sizeof args - strlen(args), "%s,t=%d", bad == 0 ? ",nfds=-1" : "", tmo);
	struct timeval tv = {0, tmo > 0 ? 1000 : 0};
	struct timespec ts = {0, tmo > 0 ? 1000000 : 0};
	begin(c, &rp);
	errno = 0;
	if (variant == 2)
		r = select(nfds, &rs, &ws, &es, tmo < 0 ? NULL : &tv);
	else
		r = pselect(nfds, &rs, &ws, &es, tmo < 0 ? NULL : &ts, NULL);
	e = errno;
	end(c, &rp);
	char rv[64] = "";
	if (r >= 0)
		for (int i = 0; i < n; i++) {
			int fd = p[i].fd;
			if (fd < 0 || fd >= FD_SETSIZE)
				continue;
			snprintf(rv + strlen(rv), sizeof rv - strlen(rv), " %d%d%d", FD_ISSET(fd, &rs) ? 1 : 0,
				 FD_ISSET(fd, &ws) ? 1 : 0, FD_ISSET(fd, &es) ? 1 : 0);
		}
	say(c, "%s(%s) = %s%s%s", name, args, res(r, e), rv, how_s(&rp));
}

static void do_epoll(struct ctx *c)
{
	struct fdarg ep = chance(c, 85) && c->fd[S_EP] >= 0 ? (struct fdarg){c->fd[S_EP], S_EP, "ep"} : pick_fd(c);
	if (chance(c, 45)) {
		struct fdarg f = pick_fd(c);
		int op = rn(c, 4);
		int ops[] = {EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL, 99};
		static const char *on[] = {"ADD", "MOD", "DEL", "BAD"};
		struct epoll_event ev = {0};
		ev.events = (chance(c, 70) ? EPOLLIN : 0) | (chance(c, 40) ? EPOLLOUT : 0) |
			    (chance(c, 15) ? EPOLLET : 0) | (chance(c, 10) ? EPOLLONESHOT : 0) |
			    (chance(c, 3) ? EPOLLEXCLUSIVE : 0);
		ev.data.u32 = (uint32_t)(f.slot >= 0 ? f.slot : 99);
		struct epoll_event *evp = chance(c, 5) ? (struct epoll_event *)c->none : &ev;
		errno = 0;
		int r = epoll_ctl(ep.fd, ops[op], f.fd, evp);
		int e = errno;
		say(c, "epoll_ctl(%s,%s,%s,%x%s) = %s", ep.name, on[op], f.name, ev.events,
		    evp == &ev ? "" : ",none", res(r, e));
		return;
	}
	settle_all(c);
	struct epoll_event evs[8];
	int maxev = 8;
	struct epoll_event *evp = evs;
	int bad = rn(c, 20);
	if (bad == 0)
		maxev = 0;
	else if (bad == 1)
		maxev = -1;
	else if (bad == 2)
		evp = NULL;
	int tk = rn(c, 10);
	int tmo = tk < 6 ? 0 : tk < 9 ? 1 : -1;
	struct rplan rp = {0, -1, false};
	if (tmo < 0) {
		/* only when a look says nothing is ready (a look consumes nothing
		 * level-triggered; an edge or one-shot event it took would make
		 * the real call's answer differ, so this path takes no look and
		 * waits 1 ms instead) */
		tmo = 1;
	}
	bool pw = chance(c, 30);
	errno = 0;
	int r;
	if (pw) {
		sigset_t m;
		sigemptyset(&m);
		r = epoll_pwait(ep.fd, evp, maxev, tmo, &m);
	} else {
		r = epoll_wait(ep.fd, evp, maxev, tmo);
	}
	int e = errno;
	end(c, &rp);
	char rv[160] = "";
	if (r > 0) {
		/* sorted by slot: the ready list's order is the kernel's */
		unsigned keys[8];
		for (int i = 0; i < r; i++)
			keys[i] = evs[i].data.u32 << 16 | (evs[i].events & 0xffff);
		for (int i = 1; i < r; i++)
			for (int j = i; j > 0 && keys[j - 1] > keys[j]; j--) {
				unsigned t = keys[j];
				keys[j] = keys[j - 1];
				keys[j - 1] = t;
			}
		for (int i = 0; i < r; i++)
			snprintf(rv + strlen(rv), sizeof rv - strlen(rv), " %s:%x",
				 (keys[i] >> 16) < NSLOT ? sname[keys[i] >> 16] : "?", keys[i] & 0xffff);
	}
	say(c, "%s(%s,%s,t=%d) = %s%s", pw ? "epoll_pwait" : "epoll_wait", ep.name,
	    bad == 0 ? "max0" : bad == 1 ? "max-1" : bad == 2 ? "NULL" : "8", tmo, res(r, e), rv);
}

static void do_accept(struct ctx *c)
{
	struct fdarg f = chance(c, 70) && c->fd[S_LISTEN] >= 0
			     ? (struct fdarg){c->fd[S_LISTEN], S_LISTEN, "listen"}
			     : pick_fd(c);
	bool four = chance(c, 50);
	int fl = four ? (chance(c, 15) ? 0x1234 : chance(c, 50) ? SOCK_NONBLOCK : SOCK_CLOEXEC) : 0;
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int ak = rn(c, 10);
	struct sockaddr *ap = ak == 0 ? NULL : ak == 1 ? (struct sockaddr *)c->none : (struct sockaddr *)&a;
	socklen_t *alp = ak == 0 ? NULL : ak == 2 ? (socklen_t *)c->ro : &al;
	char args[96];
	snprintf(args, sizeof args, "%s,%s%s", f.name, ak == 0 ? "NULL" : ak == 1 ? "none" : ak == 2 ? "len@ro" : "addr",
		 four ? (fl == 0x1234 ? ",BAD" : fl == SOCK_NONBLOCK ? ",NONBLOCK" : ",CLOEXEC") : "");
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	struct rplan rp = {0, -1, false};
	if (o && o->kind == K_LISTEN && !o->nonblock && !o->rcvtimeo &&
	    (c->ob[f.slot] != c->lq_owner || c->lqn == 0) &&
	    !(four && fl == 0x1234)) {
		if (chance(c, 50)) {
			say(c, "%s(%s) skipped: would block", four ? "accept4" : "accept", args);
			return;
		}
		rp.how = 1;
	}
	begin(c, &rp);
	errno = 0;
	int r = four ? accept4(f.fd, ap, alp, fl) : accept(f.fd, ap, alp);
	int e = errno;
	end(c, &rp);
	char w[128];
	snprintf(w, sizeof w, "%s(%s)%s", four ? "accept4" : "accept", args, how_s(&rp));
	print_newfd(c, w, r, e);
	/* the oldest waiting client is the one taken (or lost, when the
	 * address could not be written back) */
	int co = -1;
	if (o && o->kind == K_LISTEN && c->ob[f.slot] == c->lq_owner && (r >= 0 || e == EFAULT) && c->lqn > 0) {
		co = c->lq[0];
		memmove(c->lq, c->lq + 1, sizeof c->lq[0] * (size_t)--c->lqn);
		o->lpending = c->lqn;
		if (r < 0 && !c->objs[co].gone) {
			c->objs[co].eof = true; /* reset */
			c->objs[co].unpaired = 0;
		}
	}
	if (r >= 0) {
		/* the new connection replaces tcp_s */
		nodelay(r);
		if (c->fd[S_TCP_S] >= 0) {
			close(c->fd[S_TCP_S]);
			slot_drop(c, S_TCP_S);
		}
		int so = new_obj(c, K_TCP);
		set_slot(c, S_TCP_S, r, so);
		c->objs[so].nonblock = (fl == SOCK_NONBLOCK);
		c->objs[so].rcvtimeo = o && o->kind == K_LISTEN && o->rcvtimeo; /* inherited from the listener */
		if (co >= 0 && !c->objs[co].gone && !c->objs[co].eof) {
			c->objs[co].peer = so;
			c->objs[so].peer = co;
			c->objs[so].pending = c->objs[co].unpaired;
			c->objs[co].unpaired = 0;
		} else {
			c->objs[so].eof = true; /* its client is gone */
			if (co >= 0)
				c->objs[so].pending = c->objs[co].unpaired;
		}
	}
}

/* A fresh socket connects: to the listener (becomes tcp_c), to a refused
 * port, or with bad arguments; or connect on an existing slot. */
static void do_connect(struct ctx *c)
{
	int w = rn(c, 6);
	int lo = c->ob[S_LISTEN];
	if (w <= 1 && lo >= 0 && lo == c->lq_owner && c->lqn < 3) {
		int s = socket(AF_INET, SOCK_STREAM | (w == 1 ? SOCK_NONBLOCK : 0), 0);
		errno = 0;
		int r = connect(s, (struct sockaddr *)&c->listen_addr, sizeof c->listen_addr);
		int e = errno;
		say(c, "connect(new%s,listener) = %s", w == 1 ? "/nonblock" : "", res(r, e));
		if (r == 0 || e == EINPROGRESS) {
			nodelay(s);
			if (c->fd[S_TCP_C] >= 0) {
				close(c->fd[S_TCP_C]);
				slot_drop(c, S_TCP_C);
			}
			int co = new_obj(c, K_TCP);
			set_slot(c, S_TCP_C, s, co);
			c->lq[c->lqn++] = co;
			c->objs[lo].lpending = c->lqn;
			c->objs[co].nonblock = w == 1;
			if (e == EINPROGRESS) {
				/* loopback: done by the time we look */
				struct pollfd p = {s, POLLOUT, 0};
				poll(&p, 1, 1000);
			}
		} else {
			close(s);
		}
		return;
	}
	if (w == 2) {
		int s = socket(AF_INET, SOCK_STREAM | (chance(c, 50) ? SOCK_NONBLOCK : 0), 0);
		errno = 0;
		int r = connect(s, (struct sockaddr *)&c->refused_addr, sizeof c->refused_addr);
		int e = errno;
		int fl = fcntl(s, F_GETFL);
		say(c, "connect(new%s,refused) = %s", fl & O_NONBLOCK ? "/nonblock" : "", res(r, e));
		if (e == EINPROGRESS) {
			struct pollfd p = {s, POLLOUT, 0};
			poll(&p, 1, 1000);
			errno = 0;
			r = connect(s, (struct sockaddr *)&c->refused_addr, sizeof c->refused_addr);
			e = errno;
			say(c, "connect(again,refused) = %s", res(r, e));
		}
		close(s);
		return;
	}
	struct fdarg f = pick_fd(c);
	int ak = rn(c, 5);
	struct sockaddr_in bad = {.sin_family = 77};
	const struct sockaddr *a = ak == 0 ? NULL : ak == 1 ? (struct sockaddr *)c->none
				   : ak == 2 ? (struct sockaddr *)&bad : (struct sockaddr *)&c->refused_addr;
	socklen_t al = ak == 3 ? 0 : sizeof(struct sockaddr_in);
	struct obj *o = f.slot >= 0 ? O(c, f.slot) : NULL;
	/* connecting an existing socket: a TCP or listening one says EISCONN or
	 * EINVAL; a UDP one changes its peer (then its datagrams go nowhere
	 * we count) */
	if (o && (o->kind == K_UDP) && ak == 4) {
		say(c, "connect(%s,refused) skipped: udp", f.name);
		return;
	}
	errno = 0;
	int r = connect(f.fd, a, al);
	int e = errno;
	static const char *an[] = {"NULL", "none", "family77", "len0", "refused"};
	say(c, "connect(%s,%s) = %s", f.name, an[ak], res(r, e));
	if (r == 0 && o && o->kind == K_UDP && o->peer >= 0) {
		/* a UDP socket's peer is now elsewhere */
		c->objs[o->peer].peer = -1;
		o->peer = -1;
	}
	if ((r == 0 || e == EINPROGRESS) && o && o->kind == K_TCP) {
		/* cannot happen to a connected socket; note it */
		say(c, "connect on tcp slot connected a socket");
	}
}

static void do_sleep(struct ctx *c)
{
	int w = rn(c, 6);
	int r, e;
	if (w == 0) {
		useconds_t u = (useconds_t)(rn(c, 3) == 0 ? 0 : rn(c, 2) ? 1 : 50);
		errno = 0;
		r = usleep(u);
		e = errno;
		say(c, "usleep(%u) = %s", u, res(r, e));
		return;
	}
	if (w <= 3) {
		static const struct timespec ts[] = {{0, 0}, {0, 1}, {0, 1000}, {0, 50000}, {-1, 0}, {0, 1000000000}, {0, -1}};
		int i = rn(c, 8);
		struct timespec rem;
		errno = 0;
		r = nanosleep(i == 7 ? NULL : &ts[i], chance(c, 50) ? &rem : NULL);
		e = errno;
		if (i == 7)
			say(c, "nanosleep(NULL) = %s", res(r, e));
		else
			say(c, "nanosleep(%ld.%09ld) = %s", (long)ts[i].tv_sec, ts[i].tv_nsec, res(r, e));
		return;
	}
	if (w == 4) {
		/* interrupted long sleeps: EINTR whatever the handler's flags */
		struct rplan rp = {1, -1, chance(c, 50)};
		begin(c, &rp);
		struct timespec ts = {5, 0};
		int k = rn(c, 3);
		errno = 0;
		if (k == 0)
			r = nanosleep(&ts, NULL);
		else if (k == 1)
			r = usleep(3000000);
		else
			r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), e = r, r = r ? -1 : 0, errno = e;
		e = errno;
		end(c, &rp);
		say(c, "%s(5s) = %s%s", k == 0 ? "nanosleep" : k == 1 ? "usleep" : "clock_nanosleep",
		    res(r, e), how_s(&rp));
		return;
	}
	static const clockid_t ck[] = {CLOCK_MONOTONIC, CLOCK_REALTIME, 12345};
	int i = rn(c, 3);
	struct timespec ts = {0, 1000};
	int abs = chance(c, 50) ? TIMER_ABSTIME : 0;
	r = clock_nanosleep(ck[i], abs, &ts, NULL);
	say(c, "clock_nanosleep(%s,%s,1us) = %s", i == 0 ? "MONO" : i == 1 ? "REAL" : "BAD",
	    abs ? "ABS" : "REL", r ? en(r) : "0");
}

static struct timespec abs_in(clockid_t ck, long ns)
{
	struct timespec t;
	clock_gettime(ck, &t);
	t.tv_nsec += ns;
	while (t.tv_nsec >= 1000000000) {
		t.tv_nsec -= 1000000000;
		t.tv_sec++;
	}
	return t;
}

static void do_sync(struct ctx *c)
{
	int w = rn(c, 7);
	int r, e;
	if (w == 0) {
		errno = 0;
		r = sem_post(&c->sem);
		e = errno;
		if (r == 0)
			c->semval++;
		say(c, "sem_post = %s", res(r, e));
		return;
	}
	if (w == 1) {
		errno = 0;
		r = sem_trywait(&c->sem);
		e = errno;
		if (r == 0)
			c->semval--;
		say(c, "sem_trywait = %s", res(r, e));
		return;
	}
	if (w == 2 || w == 3) {
		int k = rn(c, 4);
		struct timespec t = k == 0 ? abs_in(CLOCK_REALTIME, 1000000)
				    : k == 1 ? (struct timespec){1, 0}
				    : k == 2 ? (struct timespec){0, 1000000000}
					     : abs_in(CLOCK_REALTIME, 100000);
		struct rplan rp = {0, -1, false};
		if (c->semval == 0 && chance(c, 25) && k != 2 && k != 1) {
			t = abs_in(CLOCK_REALTIME, 3000000000L);
			rp.how = 1;
			rp.restart = chance(c, 50);
			k = 9;
		}
		begin(c, &rp);
		errno = 0;
		r = sem_timedwait(&c->sem, &t);
		e = errno;
		end(c, &rp);
		if (r == 0)
			c->semval--;
		static const char *kn[] = {"+1ms", "past", "nsec=1e9", "+100us"};
		say(c, "sem_timedwait(%s) = %s%s", k == 9 ? "+3s" : kn[k], res(r, e), how_s(&rp));
		return;
	}
	if (w == 4) {
		int k = rn(c, 3);
		struct timespec t = k == 0 ? abs_in(CLOCK_REALTIME, 1000000)
				    : k == 1 ? (struct timespec){1, 0}
					     : (struct timespec){0, 1000000000};
		pthread_mutex_lock(&c->cmu);
		r = pthread_cond_timedwait(&c->cond, &c->cmu, &t);
		pthread_mutex_unlock(&c->cmu);
		say(c, "cond_timedwait(%s) = %s", k == 0 ? "+1ms" : k == 1 ? "past" : "nsec=1e9", r ? en(r) : "0");
		return;
	}
	if (w == 5) {
		if (!c->mu_held) {
			r = pthread_mutex_lock(&c->mu);
			c->mu_held = r == 0;
			say(c, "mutex_lock = %s", r ? en(r) : "0");
		} else {
			r = pthread_mutex_unlock(&c->mu);
			c->mu_held = false;
			say(c, "mutex_unlock = %s", r ? en(r) : "0");
		}
		return;
	}
	int k = rn(c, 3);
	struct timespec t = k == 0 ? abs_in(CLOCK_REALTIME, 1000000)
			    : k == 1 ? (struct timespec){1, 0}
				     : (struct timespec){0, 1000000000};
	r = pthread_mutex_timedlock(&c->mu, &t);
	if (r == 0 && !c->mu_held)
		pthread_mutex_unlock(&c->mu);
	say(c, "mutex_timedlock(%s%s) = %s", k == 0 ? "+1ms" : k == 1 ? "past" : "nsec=1e9",
	    c->mu_held ? ",held" : "", r ? en(r) : "0");
}

static void do_signal(struct ctx *c)
{
	int sig = chance(c, 50) ? SIGUSR1 : SIGUSR2;
	errno = 0;
	int r = pthread_kill(pthread_self(), sig);
	say(c, "pthread_kill(self,%s) = %s", sig == SIGUSR1 ? "USR1" : "USR2", r ? en(r) : "0");
	if (chance(c, 30)) {
		/* a SIGPIPE by a write to a pipe without reader, handled */
		int p[2];
		if (pipe(p) == 0) {
			close(p[0]);
			errno = 0;
			r = (int)write(p[1], "x", 1);
			int e = errno;
			say(c, "write(pipe without reader) = %s", res(r, e));
			close(p[1]);
		}
	}
}

static void do_renew(struct ctx *c)
{
	int g = rn(c, NGROUP);
	make_group(c, g);
	say(c, "renew(%s)", gname[g]);
}

static void one_call(struct ctx *c)
{
	c->callno++;
	int r = rn(c, 100);
	if (r < 22)
		do_read(c, rn(c, 7));
	else if (r < 40)
		do_write(c, rn(c, 7));
	else if (r < 46)
		do_fcntl(c);
	else if (r < 51)
		do_ioctl(c);
	else if (r < 55)
		do_dup(c);
	else if (r < 58)
		do_close(c);
	else if (r < 61)
		do_shutdown(c);
	else if (r < 63)
		do_sockopt(c);
	else if (r < 71)
		do_poll(c, rn(c, 4));
	else if (r < 77)
		do_epoll(c);
	else if (r < 81)
		do_accept(c);
	else if (r < 85)
		do_connect(c);
	else if (r < 89)
		do_sleep(c);
	else if (r < 93)
		do_sync(c);
	else if (r < 95)
		do_signal(c);
	else
		do_renew(c);
}

static long g_calls = 300;
static unsigned long g_seed = 1;
static char g_dir[64];

static void ctx_init(struct ctx *c, int tid)
{
	memset(c, 0, sizeof *c);
	c->tid = tid;
	c->rng = (g_seed + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(tid + 1) * 0xD1B54A32D192ED03ull;
	for (int i = 0; i < 8; i++)
		rnd(c);
	c->out.direct = !g_multi || getenv("FUZZ_DIRECT"); /* debugging a hang */
	for (int s = 0; s < NSLOT; s++)
		c->fd[s] = c->ob[s] = -1;
	c->closed_fd = 500 + tid;
	snprintf(c->path, sizeof c->path, "%s/file%d", g_dir, tid);
	snprintf(c->fifo_path, sizeof c->fifo_path, "%s/fifo%d", g_dir, tid);
	if (mkfifo(c->fifo_path, 0600))
		die("mkfifo");
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->cmu, NULL);
	pthread_cond_init(&c->cond, NULL);
	sem_init(&c->sem, 0, 0);
	pthread_mutex_init(&c->imu, NULL);
	pthread_cond_init(&c->icv, NULL);
	c->feed_fd = -1;
	/* [RW_SIZE read-write][PROT_NONE][read-only][PROT_NONE], at a fixed low
	 * address: whether buf + a huge length passes the kernel's access_ok()
	 * (EFAULT or not) must not depend on where ASLR put the mapping */
	void *want = (void *)(uintptr_t)(0x300000000000ull + (uint64_t)tid * 0x100000ull);
	char *m = mmap(want, RW_SIZE + 3 * g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED || m != want) {
		printf("FAIL: setup: no mapping at %p: %s\n", want, ename(errno));
		exit(2);
	}
	if (m == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < RW_SIZE; i++)
		m[i] = (char)('a' + i % 26);
	c->mem = m;
	c->none = m + RW_SIZE;
	c->ro = m + RW_SIZE + g_page;
	memset(c->ro, 'r', (size_t)g_page);
	mprotect(c->none, (size_t)g_page, PROT_NONE);
	mprotect(c->ro, (size_t)g_page, PROT_READ);
	mprotect(c->ro + g_page, (size_t)g_page, PROT_NONE);
}

static void *run(void *p)
{
	struct ctx *c = p;
	c->self = pthread_self();
	if (g_multi)
		pthread_create(&c->intr, NULL, interrupter, c);
	c->refused_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (c->refused_fd < 0 || bind(c->refused_fd, (void *)&a, sizeof a) ||
	    getsockname(c->refused_fd, (void *)&c->refused_addr, &al))
		die("refused socket");
	for (int g = 0; g < NGROUP; g++)
		make_group(c, g);
	for (long i = 0; i < g_calls; i++)
		one_call(c);
	if (c->mu_held)
		pthread_mutex_unlock(&c->mu);
	for (int s = 0; s < NSLOT; s++)
		if (c->fd[s] >= 0)
			close(c->fd[s]);
	close(c->refused_fd);
	for (int i = 0; i < c->nhidden; i++)
		close(c->hidden[i]);
	if (g_multi) {
		pthread_mutex_lock(&c->imu);
		c->quit = true;
		pthread_cond_signal(&c->icv);
		pthread_mutex_unlock(&c->imu);
		pthread_join(c->intr, NULL);
	}
	say(c, "end");
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			g_seed = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			g_calls = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--seed N] [--calls N] [--threads N]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_multi = threads > 1;
	g_page = sysconf(_SC_PAGESIZE);
	snprintf(g_dir, sizeof g_dir, "/tmp/fuzz_calls.XXXXXX");
	if (!mkdtemp(g_dir))
		die("mkdtemp");
	/* The fd table at its full size from the start: select() ignores bits
	 * past the table's current size instead of failing with EBADF, and with
	 * several threads when it grows would be a race. */
	if (dup2(2, 1000) == 1000)
		close(1000);
	handler(SIGPIPE, on_sig, false);
	handler(SIGUSR1, on_sig, false);
	handler(SIGUSR2, on_sig, true);
	handler(SIGALRM, on_alarm, false);
	printf("fuzz_calls seed %lu calls %ld threads %d\n", g_seed, g_calls, threads);
	struct ctx *cs = calloc((size_t)threads, sizeof *cs);
	for (int t = 0; t < threads; t++)
		ctx_init(&cs[t], t);
	if (!g_multi) {
		run(&cs[0]);
	} else {
		pthread_t *th = calloc((size_t)threads, sizeof *th);
		for (int t = 0; t < threads; t++)
			pthread_create(&th[t], NULL, run, &cs[t]);
		for (int t = 0; t < threads; t++)
			pthread_join(th[t], NULL);
		for (int t = 0; t < threads; t++)
			fwrite(cs[t].out.buf, 1, cs[t].out.len, stdout);
	}
	for (int t = 0; t < threads; t++) {
		unlink(cs[t].path);
		unlink(cs[t].fifo_path);
	}
	rmdir(g_dir);
	printf("fuzz_calls: done\n");
	return 0;
}

/* bad_args.c: interposed calls with bad fds, bad pointers and bad values.
 *
 * Pins down the errno each call sets natively, so the shim's fast paths and
 * fd-table lookups keep the kernel's answer: EBADF for -1 and closed fds,
 * ENOTSOCK for socket calls on a regular file, EFAULT for invalid buffers
 * (the kernel checks the user pointer; the shim must not touch it first and
 * crash), EINVAL for bad timespecs and sizes, EDEADLK for joining oneself.
 * clock_nanosleep returns the error number instead of setting errno
 * (clock_nanosleep(2)). No call here may block: the kernel fails them all
 * at once, and under libgreen a bad fd must not be waited on.
 */
#include "check.h"
#include "net.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/uio.h>

/* Opaque to the compiler, so it neither warns about nor folds the bad calls. */
static void *volatile bad_ptr_v = (void *)1;
static void *volatile null_ptr_v;
static volatile int minus_one = -1;
static volatile nfds_t huge_nfds = (nfds_t)1 << 40;
#define BADPTR ((void *)bad_ptr_v)
#define NULLPTR ((void *)null_ptr_v)

static void on_fd(const char *label, int fd, int want)
{
	char what[96], buf[8];
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(9);
#define W(name) (snprintf(what, sizeof what, "%s(%s)", name, label), what)
	EXPECT_ERR(W("read"), read(fd, buf, sizeof buf), EBADF);
	EXPECT_ERR(W("write"), write(fd, "x", 1), EBADF);
	EXPECT_ERR(W("recv"), recv(fd, buf, sizeof buf, 0), want);
	EXPECT_ERR(W("send"), send(fd, "x", 1, MSG_NOSIGNAL), want);
	EXPECT_ERR(W("accept"), accept(fd, NULL, NULL), want);
	EXPECT_ERR(W("accept4"), accept4(fd, NULL, NULL, SOCK_CLOEXEC), want);
	EXPECT_ERR(W("connect"), connect(fd, (struct sockaddr *)&a, sizeof a), want);
	EXPECT_ERR(W("shutdown"), shutdown(fd, SHUT_RDWR), want);
	struct iovec iov = { buf, sizeof buf };
	EXPECT_ERR(W("readv"), readv(fd, &iov, 1), EBADF);
	EXPECT_ERR(W("writev"), writev(fd, &iov, 1), EBADF);
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	EXPECT_ERR(W("recvmsg"), recvmsg(fd, &mh, 0), want);
	EXPECT_ERR(W("sendmsg"), sendmsg(fd, &mh, MSG_NOSIGNAL), want);
	EXPECT_ERR(W("fcntl F_GETFL"), fcntl(fd, F_GETFL), EBADF);
	EXPECT_ERR(W("fcntl F_SETFL"), fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
	EXPECT_ERR(W("dup"), dup(fd), EBADF);
	EXPECT_ERR(W("dup2 from"), dup2(fd, 100), EBADF);
	struct epoll_event evbuf;
	EXPECT_ERR(W("epoll_wait"), epoll_wait(fd, &evbuf, 1, 0), EBADF);
	int on = 1;
	EXPECT_ERR(W("setsockopt"), setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), want);
	EXPECT_ERR(W("close"), close(fd), EBADF);
#undef W
}

static void on_regular_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char buf[8];
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_ERR("recv(file)", recv(fd, buf, sizeof buf, 0), ENOTSOCK);
	EXPECT_ERR("send(file)", send(fd, "x", 1, 0), ENOTSOCK);
	EXPECT_ERR("accept(file)", accept(fd, NULL, NULL), ENOTSOCK);
	EXPECT_ERR("connect(file)", connect(fd, (struct sockaddr *)&a, sizeof a), ENOTSOCK);
	EXPECT_ERR("shutdown(file)", shutdown(fd, SHUT_RD), ENOTSOCK);
	int v;
	socklen_t len = sizeof v;
	EXPECT_ERR("getsockopt(file)", getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &v, &len), ENOTSOCK);
	EXPECT_ERR("write(read-only file)", write(fd, "x", 1), EBADF);
	EXPECT_ERR("read(file, BADPTR)", read(fd, BADPTR, 8), EFAULT);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	EXPECT_ERR("epoll_ctl ADD regular file", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM);
	EXPECT_ERR("epoll_wait on a regular file", epoll_wait(fd, &ev, 1, 0), EINVAL);
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	EXPECT_RC("poll regular file", poll(&p, 1, 0), 1);
	printf("regular file revents: 0x%x\n", p.revents);
	close(ep);
	close(fd);
}

static void bad_pointers(void)
{
	int sv[2], pf[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	write(pf[1], "abc", 3);
	write(sv[1], "abc", 3);
	EXPECT_ERR("read(pipe, BADPTR)", read(pf[0], BADPTR, 3), EFAULT);
	EXPECT_ERR("read(pipe, NULL)", read(pf[0], NULLPTR, 3), EFAULT);
	EXPECT_ERR("write(pipe, BADPTR)", write(pf[1], BADPTR, 3), EFAULT);
	EXPECT_ERR("recv(socket, BADPTR)", recv(sv[0], BADPTR, 3, 0), EFAULT);
	EXPECT_ERR("send(socket, BADPTR)", send(sv[0], BADPTR, 3, 0), EFAULT);
	EXPECT_ERR("writev(pipe, BADPTR iov)", writev(pf[1], BADPTR, 1), EFAULT);
	EXPECT_ERR("readv(pipe, NULL iov)", readv(pf[0], NULLPTR, 1), EFAULT);
	EXPECT_ERR("recvmsg(socket, NULL msg)", recvmsg(sv[0], NULLPTR, 0), EFAULT);
	EXPECT_ERR("sendmsg(socket, BADPTR msg)", sendmsg(sv[0], BADPTR, 0), EFAULT);
	struct sockaddr_in a;
	int l = tcp_listener(4, &a);
	int c = tcp_connect(&a);
	EXPECT_ERR("accept(BADPTR addrlen)", accept(l, BADPTR, BADPTR), EFAULT);
	close(c);
	EXPECT_ERR("poll(NULL, 1, 0)", poll(NULLPTR, 1, 0), EFAULT);
	fd_set *bad_set = BADPTR;
	struct timeval tv = { 0, 0 };
	EXPECT_ERR("select(BADPTR set)", select(4, bad_set, NULL, NULL, &tv), EFAULT);
	EXPECT_ERR("nanosleep(NULL)", nanosleep(NULLPTR, NULL), EFAULT);
	int type;
	EXPECT_ERR("getsockopt(BADPTR optlen)", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, BADPTR), EFAULT);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
	EXPECT_ERR("epoll_wait(BADPTR events)", epoll_wait(ep, BADPTR, 1, 0), EFAULT);
	close(ep);
	char buf[8];
	EXPECT_RC("data still there after EFAULT reads", read(sv[0], buf, sizeof buf), 3);
	close(sv[0]);
	close(sv[1]);
	close(pf[0]);
	close(pf[1]);
	close(l);
}

static void bad_values(void)
{
	struct timespec ts = { 0, 1000000000L };
	EXPECT_ERR("nanosleep tv_nsec 1e9", nanosleep(&ts, NULL), EINVAL);
	ts = (struct timespec){ 0, -1 };
	EXPECT_ERR("nanosleep tv_nsec -1", nanosleep(&ts, NULL), EINVAL);
	ts = (struct timespec){ -1, 0 };
	EXPECT_ERR("nanosleep tv_sec -1", nanosleep(&ts, NULL), EINVAL);
	ts = (struct timespec){ 0, 1000000000L };
	errno = 0;
	int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	printf("clock_nanosleep tv_nsec 1e9: returns %s, errno %s\n", ename(rc), ename(errno));
	ts = (struct timespec){ 0, 1000 };
	rc = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL);
	printf("clock_nanosleep CLOCK_THREAD_CPUTIME_ID: returns %s, errno %s\n", ename(rc), ename(errno));
	rc = clock_nanosleep((clockid_t)12345, 0, &ts, NULL);
	printf("clock_nanosleep bad clock: returns %s, errno %s\n", ename(rc), ename(errno));
	rc = clock_nanosleep(CLOCK_MONOTONIC, 0, NULL, NULL);
	printf("clock_nanosleep NULL: returns %s, errno %s\n", ename(rc), ename(errno));

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct pollfd p = { -1, POLLIN, 0 };
	EXPECT_ERR("poll nfds > RLIMIT_NOFILE", poll(&p, (nfds_t)rl.rlim_cur + 1, 0), EINVAL);
	/* The syscall takes nfds as unsigned int: 1 << 40 arrives as 0. */
	EXPECT_RC("poll nfds 1<<40 (truncated to 0 by the kernel)", poll(&p, huge_nfds, 0), 0);
	EXPECT_RC("poll only fd -1, timeout 0", poll(&p, 1, 0), 0);
	struct timeval tv = { 0, -1 };
	EXPECT_ERR("select bad timeval", select(0, NULL, NULL, NULL, &tv), EINVAL);
	ts = (struct timespec){ 0, -5 };
	EXPECT_ERR("ppoll bad timespec", ppoll(&p, 1, &ts, NULL), EINVAL);
	ts = (struct timespec){ 0, 1000000000L };
	int ep = epoll_create1(0);
	struct epoll_event ev;
	EXPECT_ERR("epoll_pwait2 bad timespec", epoll_pwait2(ep, &ev, 1, &ts, NULL), EINVAL);
	EXPECT_ERR("epoll_wait maxevents 0", epoll_wait(ep, &ev, 0, 0), EINVAL);
	EXPECT_ERR("epoll_wait maxevents -1", epoll_wait(ep, &ev, minus_one, 0), EINVAL);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	ev.events = EPOLLIN;
	EXPECT_RC("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
	EXPECT_ERR("epoll_ctl ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), EEXIST);
	EXPECT_ERR("epoll_ctl MOD unknown", epoll_ctl(ep, EPOLL_CTL_MOD, sv[1], &ev), ENOENT);
	EXPECT_ERR("epoll_ctl ADD itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	close(ep);

	char buf[4];
	struct iovec iov = { buf, sizeof buf };
	EXPECT_ERR("readv iovcnt -1", readv(sv[0], &iov, minus_one), EINVAL);
	static struct iovec many[1025];
	for (int i = 0; i < 1025; i++)
		many[i] = iov;
	EXPECT_ERR("writev iovcnt 1025 (> IOV_MAX)", writev(sv[0], many, 1025), EINVAL);
	EXPECT_ERR("fcntl bad cmd", fcntl(sv[0], 123456), EINVAL);
	EXPECT_RC("dup2 fd onto itself", dup2(sv[0], sv[0]) == sv[0], 1);
	EXPECT_ERR("dup3 fd onto itself", dup3(sv[0], sv[0], 0), EINVAL);
	EXPECT_ERR("dup3 bad flags", dup3(sv[0], 100, 0x1234), EINVAL);
	EXPECT_ERR("dup2 to -1", dup2(sv[0], -1), EBADF);
	EXPECT_ERR("dup2 to RLIMIT_NOFILE", dup2(sv[0], (int)rl.rlim_cur), EBADF);
	EXPECT_ERR("socket bad domain", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERR("socket bad type flags", socket(AF_INET, SOCK_STREAM | 0x40000000, 0), EINVAL);
	close(sv[0]);
	close(sv[1]);
}

static void wrong_state(void)
{
	char buf[4];
	int s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_ERR("recv on unconnected tcp", recv(s, buf, sizeof buf, 0), ENOTCONN);
	EXPECT_ERR("read on unconnected tcp", read(s, buf, sizeof buf), ENOTCONN);
	EXPECT_ERR("send on unconnected tcp", send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_ERR("accept on non-listening tcp", accept(s, NULL, NULL), EINVAL);
	EXPECT_ERR("shutdown unconnected tcp", shutdown(s, SHUT_RDWR), ENOTCONN);
	close(s);
	struct sockaddr_in a;
	int l = tcp_listener(4, &a);
	EXPECT_ERR("read on listener", read(l, buf, sizeof buf), ENOTCONN);
	EXPECT_ERR("write on listener", send(l, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(l);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_ERR("accept on udp", accept(u, NULL, NULL), EOPNOTSUPP);
	EXPECT_ERR("send on unconnected udp", send(u, "x", 1, 0), EDESTADDRREQ);
	close(u);
	int ep = epoll_create1(0);
	EXPECT_ERR("read on epoll fd", read(ep, buf, sizeof buf), EINVAL);
	close(ep);
}

int main(int argc, char **argv)
{
	(void)argc;
	alarm(20);
	signal(SIGPIPE, SIG_IGN);
	on_fd("-1", -1, EBADF);
	int closed = dup(1);
	close(closed);
	on_fd("closed", closed, EBADF);
	on_regular_file(argv[0]);
	bad_pointers();
	bad_values();
	wrong_state();
	int rc = pthread_join(pthread_self(), NULL);
	printf("pthread_join(self): %s\n", ename(rc));
	CHECK(rc == EDEADLK, "pthread_join(self) should be EDEADLK");
	return finish("io_bad_args");
}

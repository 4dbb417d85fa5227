/* daemon_signals: how signals interrupt (or do not interrupt) blocked calls.
 *
 * Legacy daemons stop on SIGTERM by letting it interrupt a blocking call: a handler
 * installed without SA_RESTART makes accept()/read() fail with EINTR (signal(7),
 * "Interruption of system calls and library functions by signal handlers"). With
 * SA_RESTART read() goes on, but poll, select, epoll_wait, nanosleep, clock_nanosleep and
 * sleep fail with EINTR regardless. A process-directed signal goes to a thread that does
 * not block it; pthread_kill targets one thread. Under a green runtime the parked call
 * must behave the same, in the green thread the kernel would have chosen.
 *
 * To make delivery deterministic, main blocks the test signals before creating any
 * thread (the ticker included); each test thread unblocks only what it needs. Every
 * signal comes 400 ms after its target blocked, so a blocked OS thread shows on the
 * ticker. Results are printed by main after joining, in a fixed order.
 *   A. `while (!stop) accept()` with a SIGTERM handler without SA_RESTART; a child
 *      process kill()s the parent 400 ms later: accept fails with EINTR, the loop ends;
 *   B. alarm() interrupts read() without SA_RESTART (EINTR);
 *   C. with SA_RESTART an interrupted read() carries on and returns the data later;
 *   D. poll, select, epoll_wait, ppoll (mask unblocking the signal), nanosleep (rem > 0),
 *      clock_nanosleep, sleep (returns seconds left) and usleep fail with EINTR even
 *      with SA_RESTART, each in its own thread hit by pthread_kill;
 *   E. pthread_kill interrupts only the thread it targets;
 *   F. a process-directed SIGUSR1 goes to the one thread that does not block it;
 *   G. sigwait, sigtimedwait (EAGAIN on timeout), sigwaitinfo (sigqueue value),
 *      sigsuspend, pause;
 *   H. read() of a signalfd blocks until the signal is sent.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/wait.h>

static volatile sig_atomic_t hits[NSIG];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	hits[sig]++;
	if (sig == SIGTERM)
		stop = 1;
}

static void install(int sig, int restart)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void unblock(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void set_timer_ms(long ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- A. the daemon accept loop ---- */

static int listener;
static int accept_eintr, accept_other, accepted;

static void *acceptor(void *arg)
{
	(void)arg;
	unblock(SIGTERM);
	for (int i = 0; i < 100 && !stop; i++) {
		int c = accept(listener, NULL, NULL);
		if (c >= 0) {
			accepted++;
			close(c);
		} else if (errno == EINTR) {
			accept_eintr++;
		} else {
			accept_other = errno;
		}
	}
	return NULL;
}

static void part_accept_loop(void)
{
	install(SIGTERM, 0);
	int port;
	listener = listen_lo(&port);
	pthread_t t;
	pthread_create(&t, NULL, acceptor, NULL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(400);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	pthread_join(t, NULL);
	int st;
	waitpid(pid, &st, 0);
	close(listener);
	printf("A: accept loop: EINTR %d time(s), other errors %s, accepted %d, stop=%d, "
	       "SIGTERM handled %d time(s)\n",
	       accept_eintr, ename(accept_other), accepted, (int)stop, (int)hits[SIGTERM]);
	CHECK(accept_eintr == 1 && stop, "A: SIGTERM did not end the accept loop with EINTR");
}

/* ---- B./C. read interrupted, without and with SA_RESTART ---- */

struct reader {
	int fd, sig;
	ssize_t ret;
	int err;
	char buf[32];
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	if (r->sig)
		unblock(r->sig);
	r->ret = read(r->fd, r->buf, sizeof r->buf - 1);
	r->err = r->ret < 0 ? errno : 0;
	if (r->ret > 0)
		r->buf[r->ret] = 0;
	return NULL;
}

static void part_alarm_read(void)
{
	install(SIGALRM, 0);
	int p[2];
	pipe2(p, O_CLOEXEC);
	struct reader r = { .fd = p[0], .sig = SIGALRM };
	pthread_t t;
	pthread_create(&t, NULL, reader_main, &r);
	int before = hits[SIGALRM];
	alarm(1);
	pthread_join(t, NULL);
	printf("B: alarm(1) during read without SA_RESTART: ret=%zd %s, handler ran %d\n", r.ret,
	       ename(r.err), hits[SIGALRM] - before);
	CHECK(r.ret == -1 && r.err == EINTR, "B: read was not interrupted");
	close(p[0]);
	close(p[1]);
}

static void part_restart_read(void)
{
	install(SIGALRM, 1);
	int p[2];
	pipe2(p, O_CLOEXEC);
	struct reader r = { .fd = p[0], .sig = SIGALRM };
	pthread_t t;
	pthread_create(&t, NULL, reader_main, &r);
	int before = hits[SIGALRM];
	set_timer_ms(400);
	sleep_ms(800);
	int during = hits[SIGALRM] - before;
	write_all(p[1], "late data", 9);
	pthread_join(t, NULL);
	printf("C: SIGALRM at 400 ms during read with SA_RESTART: handler ran %d before the data; "
	       "read ret=%zd %s '%s'\n",
	       during, r.ret, ename(r.err), r.ret > 0 ? r.buf : "");
	CHECK(during == 1 && r.ret == 9, "C: SA_RESTART read did not carry on");
	close(p[0]);
	close(p[1]);
}

/* ---- D. calls that are never restarted ---- */

enum { K_POLL, K_SELECT, K_EPOLL, K_PPOLL, K_NANOSLEEP, K_CLOCK_NANOSLEEP, K_SLEEP, K_USLEEP, NK };
static const char *knames[NK] = { "poll", "select", "epoll_wait", "ppoll", "nanosleep",
				  "clock_nanosleep", "sleep", "usleep" };

struct victim {
	int kind, fd;
	long ret;
	int err;
	int rem_positive;
	pthread_t th;
};

static void *victim_main(void *arg)
{
	struct victim *v = arg;
	if (v->kind != K_PPOLL)
		unblock(SIGALRM);
	errno = 0;
	switch (v->kind) {
	case K_POLL: {
		struct pollfd pfd = { v->fd, POLLIN, 0 };
		v->ret = poll(&pfd, 1, 5000);
		break;
	}
	case K_SELECT: {
		fd_set rs;
		FD_ZERO(&rs);
		FD_SET(v->fd, &rs);
		struct timeval tv = { 5, 0 };
		v->ret = select(v->fd + 1, &rs, NULL, NULL, &tv);
		break;
	}
	case K_EPOLL: {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN }, out;
		epoll_ctl(ep, EPOLL_CTL_ADD, v->fd, &ev);
		v->ret = epoll_wait(ep, &out, 1, 5000);
		v->err = errno;
		close(ep);
		errno = v->err;
		break;
	}
	case K_PPOLL: {
		struct pollfd pfd = { v->fd, POLLIN, 0 };
		struct timespec ts = { 5, 0 };
		sigset_t m;
		pthread_sigmask(SIG_SETMASK, NULL, &m);
		sigdelset(&m, SIGALRM);
		v->ret = ppoll(&pfd, 1, &ts, &m);
		break;
	}
	case K_NANOSLEEP: {
		struct timespec ts = { 5, 0 }, rem = { 0, 0 };
		v->ret = nanosleep(&ts, &rem);
		v->rem_positive = rem.tv_sec > 0 || rem.tv_nsec > 0;
		break;
	}
	case K_CLOCK_NANOSLEEP: {
		struct timespec ts = { 5, 0 }, rem = { 0, 0 };
		int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
		v->ret = rc ? -1 : 0;
		errno = rc;
		v->rem_positive = rem.tv_sec > 0 || rem.tv_nsec > 0;
		break;
	}
	case K_SLEEP:
		v->ret = sleep(5);
		v->rem_positive = v->ret > 0;
		v->ret = v->ret > 0 ? 1 : 0;
		break;
	case K_USLEEP:
		v->ret = usleep(5000000);
		break;
	}
	v->err = errno;
	return NULL;
}

static void part_never_restarted(void)
{
	install(SIGALRM, 1);
	int p[2];
	pipe2(p, O_CLOEXEC);
	struct victim v[NK];
	int before = hits[SIGALRM];
	for (int k = 0; k < NK; k++) {
		v[k] = (struct victim){ .kind = k, .fd = p[0] };
		pthread_create(&v[k].th, NULL, victim_main, &v[k]);
	}
	sleep_ms(400);
	long t0 = now_ms();
	for (int k = 0; k < NK; k++)
		pthread_kill(v[k].th, SIGALRM);
	for (int k = 0; k < NK; k++)
		pthread_join(v[k].th, NULL);
	fprintf(stderr, "D: all interrupted within %ld ms of the signal\n", now_ms() - t0);
	for (int k = 0; k < NK; k++) {
		if (k == K_SLEEP)
			printf("D: %s with SA_RESTART: returned seconds left > 0: %s\n", knames[k],
			       v[k].rem_positive ? "yes" : "no");
		else
			printf("D: %s with SA_RESTART: ret=%ld %s%s\n", knames[k], v[k].ret,
			       ename(v[k].err),
			       k == K_NANOSLEEP || k == K_CLOCK_NANOSLEEP
				       ? (v[k].rem_positive ? ", rem > 0" : ", rem = 0")
				       : "");
		CHECK(k == K_SLEEP ? v[k].rem_positive : v[k].ret == -1 && v[k].err == EINTR,
		      "D: %s was not interrupted", knames[k]);
	}
	printf("D: handler ran %d times\n", hits[SIGALRM] - before);
	close(p[0]);
	close(p[1]);
}

/* ---- E./F. which thread a signal interrupts ---- */

static void part_pthread_kill(void)
{
	install(SIGUSR1, 0);
	int p1[2], p2[2];
	pipe2(p1, O_CLOEXEC);
	pipe2(p2, O_CLOEXEC);
	struct reader r1 = { .fd = p1[0], .sig = SIGUSR1 }, r2 = { .fd = p2[0], .sig = SIGUSR1 };
	pthread_t t1, t2;
	pthread_create(&t1, NULL, reader_main, &r1);
	pthread_create(&t2, NULL, reader_main, &r2);
	sleep_ms(400);
	pthread_kill(t1, SIGUSR1);
	pthread_join(t1, NULL);
	write_all(p2[1], "for T2", 6);
	pthread_join(t2, NULL);
	printf("E: pthread_kill(T1): T1 read ret=%zd %s; T2 read ret=%zd %s '%s'\n", r1.ret,
	       ename(r1.err), r2.ret, ename(r2.err), r2.ret > 0 ? r2.buf : "");
	CHECK(r1.err == EINTR && r2.ret == 6, "E: pthread_kill hit the wrong thread");
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
}

static void part_directed(void)
{
	install(SIGUSR1, 0);
	int p[3][2];
	struct reader r[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		pipe2(p[i], O_CLOEXEC);
		r[i] = (struct reader){ .fd = p[i][0], .sig = i == 1 ? SIGUSR1 : 0 };
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	}
	sleep_ms(400);
	int before = hits[SIGUSR1];
	kill(getpid(), SIGUSR1);
	pthread_join(t[1], NULL);
	sleep_ms(100);
	write_all(p[0][1], "for T0", 6);
	write_all(p[2][1], "for T2", 6);
	pthread_join(t[0], NULL);
	pthread_join(t[2], NULL);
	for (int i = 0; i < 3; i++) {
		printf("F: kill(getpid(), SIGUSR1), only T1 unblocks it: T%d read ret=%zd %s '%s'\n", i,
		       r[i].ret, ename(r[i].err), r[i].ret > 0 ? r[i].buf : "");
		CHECK(i == 1 ? r[i].err == EINTR : r[i].ret == 6, "F: signal went to the wrong thread");
		close(p[i][0]);
		close(p[i][1]);
	}
	printf("F: handler ran %d time(s)\n", hits[SIGUSR1] - before);
}

/* ---- G. waiting for signals ---- */

struct waiter {
	int kind;
	int ret, err, sig, code, value;
	volatile int started, done;
	pthread_t th;
};

enum { W_SIGWAIT, W_SIGTIMEDWAIT, W_SIGWAITINFO, W_SIGSUSPEND, W_PAUSE };

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	w->started = 1;
	switch (w->kind) {
	case W_SIGWAIT:
		w->ret = sigwait(&usr2, &w->sig);
		break;
	case W_SIGTIMEDWAIT: {
		struct timespec ts = { 0, 400 * 1000000L };
		w->ret = sigtimedwait(&usr2, &si, &ts);
		w->err = w->ret < 0 ? errno : 0;
		break;
	}
	case W_SIGWAITINFO:
		w->ret = sigwaitinfo(&usr2, &si);
		w->err = w->ret < 0 ? errno : 0;
		w->sig = si.si_signo;
		w->code = si.si_code;
		w->value = si.si_value.sival_int;
		break;
	case W_SIGSUSPEND: {
		sigset_t m, after;
		pthread_sigmask(SIG_SETMASK, NULL, &m);
		sigdelset(&m, SIGUSR1);
		w->ret = sigsuspend(&m);
		w->err = errno;
		pthread_sigmask(SIG_SETMASK, NULL, &after);
		w->value = sigismember(&after, SIGUSR1);
		break;
	}
	case W_PAUSE:
		unblock(SIGUSR1);
		w->ret = pause();
		w->err = errno;
		break;
	}
	w->done = 1;
	return NULL;
}

static void start_waiter(struct waiter *w, int kind)
{
	memset(w, 0, sizeof *w);
	w->kind = kind;
	pthread_create(&w->th, NULL, waiter_main, w);
	sleep_ms(400);
}

static void part_sigwait(void)
{
	install(SIGUSR1, 0);
	struct waiter w;

	start_waiter(&w, W_SIGWAIT);
	kill(getpid(), SIGUSR2);
	pthread_join(w.th, NULL);
	printf("G: sigwait: ret=%s sig=SIG%s\n", ename(w.ret), sigabbrev_np(w.sig));

	memset(&w, 0, sizeof w);
	w.kind = W_SIGTIMEDWAIT;
	long t0 = now_ms();
	pthread_create(&w.th, NULL, waiter_main, &w);
	pthread_join(w.th, NULL);
	fprintf(stderr, "sigtimedwait took %ld ms\n", now_ms() - t0);
	printf("G: sigtimedwait 400 ms with nothing pending: ret=%d %s\n", w.ret, ename(w.err));

	start_waiter(&w, W_SIGWAITINFO);
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 42 });
	pthread_join(w.th, NULL);
	printf("G: sigwaitinfo: ret=SIG%s sig=SIG%s code=%s value=%d\n",
	       w.ret > 0 ? sigabbrev_np(w.ret) : "?", w.sig ? sigabbrev_np(w.sig) : "?",
	       w.code == SI_QUEUE ? "SI_QUEUE" : "other", w.value);

	int before = hits[SIGUSR1];
	start_waiter(&w, W_SIGSUSPEND);
	pthread_kill(w.th, SIGUSR1);
	pthread_join(w.th, NULL);
	printf("G: sigsuspend: ret=%d %s, handler ran %d, SIGUSR1 blocked again after: %s\n", w.ret,
	       ename(w.err), hits[SIGUSR1] - before, w.value == 1 ? "yes" : "no");

	start_waiter(&w, W_PAUSE);
	for (int i = 0; i < 10 && !w.done; i++) {
		pthread_kill(w.th, SIGUSR1);
		sleep_ms(200);
	}
	pthread_join(w.th, NULL);
	printf("G: pause: ret=%d %s\n", w.ret, ename(w.err));
}

/* ---- H. signalfd ---- */

static void *sfd_reader(void *arg)
{
	struct signalfd_siginfo *si = arg;
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	int fd = signalfd(-1, &s, SFD_CLOEXEC);
	if (read(fd, si, sizeof *si) != sizeof *si)
		si->ssi_signo = 0;
	close(fd);
	return NULL;
}

static void part_signalfd(void)
{
	struct signalfd_siginfo si;
	memset(&si, 0, sizeof si);
	pthread_t t;
	pthread_create(&t, NULL, sfd_reader, &si);
	sleep_ms(400);
	kill(getpid(), SIGUSR2);
	pthread_join(t, NULL);
	printf("H: signalfd read: SIG%s code=%s\n", si.ssi_signo ? sigabbrev_np((int)si.ssi_signo) : "?",
	       si.ssi_code == SI_USER ? "SI_USER" : "other");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	ticker_start();
	part_accept_loop();
	part_alarm_read();
	part_restart_read();
	part_never_restarted();
	part_pthread_kill();
	part_directed();
	part_sigwait();
	part_signalfd();
	sigset_t pending;
	sigpending(&pending);
	int left = 0;
	for (int sig = 1; sig < NSIG; sig++)
		left += sigismember(&pending, sig) == 1;
	printf("signals left pending: %d\n", left);
	ticker_stop();
	return check_status();
}

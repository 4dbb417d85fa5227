/* check.h: how every differential test program under tests/programs checks and reports.
 *
 * Used by all C and C++ programs in io/, sync/ and daemon/ (header-only; C gnu11 and
 * C++20). Output rules (tests/diff/difftest.py): the program runs natively and under
 * LD_PRELOAD=libgreen.so and both runs must print the same stdout and exit with the same
 * status. So stdout only holds deterministic lines (return values, errno names, "ok");
 * timings and other run-dependent detail go to stderr. A stdout line starting with
 * "FAIL:" fails the test.
 *
 * - FAIL(fmt, ...) prints "FAIL: file:line: message" and counts the failure;
 *   CHECK(cond, fmt, ...) does so when cond is false. Safe from any thread, but a
 *   line printed by a thread lands wherever scheduling puts it.
 * - FAIL_TIMING(fmt, ...) / CHECK_TIMING(cond, fmt, ...): the same for a check that only a
 *   busy machine can make fail (an upper bound on a wait, a stall): the line reads
 *   "FAIL: timing: file:line: message", and difftest.py reruns a run whose FAIL lines are all
 *   timing lines (up to 2 more times) before it judges it. Lower bounds (woke early) and
 *   results are never timing checks.
 * - tfail(fmt, ...) records a failure from a thread without printing; tfail_flush()
 *   (main thread) prints the recorded ones as FAIL lines, so stdout order does not
 *   depend on scheduling.
 * - check_status() is the exit status: 1 if anything failed (recorded thread failures
 *   included), else 0. finish(name) prints the end line "<name>: done" (or "failed")
 *   first. Every program ends with one of them: return check_status();
 * - check_init(seconds): line-buffered stdout (a killed run still shows how far it got)
 *   and an alarm() watchdog that prints a FAIL line and exits 1, so a hang fails
 *   instead of both runs agreeing on "killed by SIGALRM".
 * - ename(e): an errno value by name ("EINTR"), "0" for success; never the locale's text.
 * - Printing checks (print "label: value", then FAIL unless it is the expected one):
 *     EXPECT_RC(what, call, want)   a call returning -1 + errno: prints "what: rc"
 *                                   or "what: -1 ENAME"; fails unless rc == want
 *     EXPECT_ERR(what, call, want)  the same call style; fails unless -1 with errno want
 *     expect(label, code, want)     an error code (pthread style, or err_of(rc))
 *     expect_bool / expect_long     a truth value / a number
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures;

__attribute__((format(printf, 3, 4)))
static inline void check_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *kind = strncmp(file, "timing: ", 8) == 0 ? "timing: " : "";
	file += strlen(kind);
	const char *base = strrchr(file, '/');
	printf("FAIL: %s%s:%d: %s\n", kind, base ? base + 1 : file, line, msg);
	__atomic_fetch_add(&check_failures, 1, __ATOMIC_SEQ_CST);
}

#define FAIL(...) check_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FAIL_TIMING(...) check_fail("timing: " __FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			FAIL(__VA_ARGS__);                                     \
	} while (0)

#define CHECK_TIMING(cond, ...)                                                \
	do {                                                                   \
		if (!(cond))                                                   \
			FAIL_TIMING(__VA_ARGS__);                              \
	} while (0)

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 32)
/* strerrorname_np is glibc 2.32+: the names the tests print. */
static inline const char *strerrorname_np(int e)
{
	switch (e) {
#define E_(x) case x: return #x;
	E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG)
	E_(ENOEXEC) E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES)
	E_(EFAULT) E_(EBUSY) E_(EEXIST) E_(EXDEV) E_(ENODEV) E_(ENOTDIR)
	E_(EISDIR) E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY) E_(EFBIG)
	E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK) E_(EPIPE) E_(EDOM)
	E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOSYS) E_(ENOTEMPTY)
	E_(ELOOP) E_(ENOTSOCK) E_(EDESTADDRREQ) E_(EMSGSIZE) E_(EPROTOTYPE)
	E_(ENOPROTOOPT) E_(EPROTONOSUPPORT) E_(EOPNOTSUPP) E_(EAFNOSUPPORT)
	E_(EADDRINUSE) E_(EADDRNOTAVAIL) E_(ENETDOWN) E_(ENETUNREACH)
	E_(ECONNABORTED) E_(ECONNRESET) E_(ENOBUFS) E_(EISCONN) E_(ENOTCONN)
	E_(ETIMEDOUT) E_(ECONNREFUSED) E_(EHOSTUNREACH) E_(EALREADY)
	E_(EINPROGRESS) E_(ECANCELED) E_(EOWNERDEAD) E_(ENOTRECOVERABLE)
	E_(ESTALE) E_(EOVERFLOW)
#undef E_
	}
	return 0;
}
#endif

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 32)
/* sigabbrev_np is glibc 2.32+ */
static inline const char *sigabbrev_np(int s)
{
	switch (s) {
#define S_(x) case SIG##x: return #x;
	S_(HUP) S_(INT) S_(QUIT) S_(ILL) S_(TRAP) S_(ABRT) S_(BUS) S_(FPE)
	S_(KILL) S_(USR1) S_(SEGV) S_(USR2) S_(PIPE) S_(ALRM) S_(TERM)
	S_(CHLD) S_(CONT) S_(STOP) S_(TSTP) S_(TTIN) S_(TTOU) S_(URG)
	S_(XCPU) S_(XFSZ) S_(VTALRM) S_(PROF) S_(WINCH) S_(IO) S_(PWR) S_(SYS)
#undef S_
	}
	return 0;
}
#endif

#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 35)
/* epoll_pwait2 is glibc 2.35+: the system call (Linux 5.11), through
 * syscall(), which libgreen interposes too. */
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
static inline int epoll_pwait2(int epfd, struct epoll_event *ev, int n,
			       const struct timespec *t, const sigset_t *mask)
{
	return (int)syscall(SYS_epoll_pwait2, epfd, ev, n, t, mask, mask ? _NSIG / 8 : 0);
}
#endif

static inline const char *ename(int e)
{
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* For calls that return -1 and set errno: the errno, or 0 on success. */
static inline int err_of(int rc)
{
	return rc == 0 ? 0 : errno;
}

/* ---- failures recorded by threads, printed by main ---- */

#define TFAIL_MAX 64
static char tfail_msgs[TFAIL_MAX][256];
static int tfail_count;

__attribute__((format(printf, 3, 4)))
static inline void tfail_at(const char *file, int line, const char *fmt, ...)
{
	int i = __atomic_fetch_add(&tfail_count, 1, __ATOMIC_SEQ_CST);
	if (i >= TFAIL_MAX)
		return;
	const char *base = strrchr(file, '/');
	int n = snprintf(tfail_msgs[i], sizeof tfail_msgs[i], "%s:%d: ", base ? base + 1 : file,
			 line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tfail_msgs[i] + n, sizeof tfail_msgs[i] - (size_t)n, fmt, ap);
	va_end(ap);
}

#define tfail(...) tfail_at(__FILE__, __LINE__, __VA_ARGS__)

static inline void tfail_flush(void)
{
	int n = __atomic_exchange_n(&tfail_count, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < n && i < TFAIL_MAX; i++) {
		printf("FAIL: %s\n", tfail_msgs[i]);
		__atomic_fetch_add(&check_failures, 1, __ATOMIC_SEQ_CST);
	}
	if (n > TFAIL_MAX)
		FAIL("%d more thread failures", n - TFAIL_MAX);
}

/* ---- the end of a program ---- */

static inline int check_status(void)
{
	tfail_flush();
	return __atomic_load_n(&check_failures, __ATOMIC_SEQ_CST) ? 1 : 0;
}

static inline int finish(const char *name)
{
	int st = check_status();
	printf("%s: %s\n", name, st ? "failed" : "done");
	return st;
}

static inline void check_alarm_handler(int sig)
{
	static const char msg[] = "FAIL: watchdog alarm: the program hung\n";
	(void)sig;
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(1);
}

static inline void check_init(unsigned watchdog_seconds)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, check_alarm_handler);
	alarm(watchdog_seconds);
}

/* ---- printing checks ---- */

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
			FAIL("%s: expected -1 %s", what, ename(want));         \
	} while (0)

/* Evaluates call, prints its result, and fails unless it returned want. */
#define EXPECT_RC(what, call, want)                                            \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		report(what, r_, e_);                                          \
		if (r_ != (long)(want))                                        \
			FAIL("%s: expected %ld", what, (long)(want));          \
	} while (0)

/* Prints "label: NAME" for an error code; fails unless it is want. Call these from one
 * thread at a time so stdout order is deterministic. */
static inline void expect(const char *label, int got, int want)
{
	printf("%s: %s\n", label, ename(got));
	if (got != want)
		FAIL("%s: got %s, expected %s", label, ename(got), ename(want));
}

static inline void expect_bool(const char *label, bool got, bool want)
{
	printf("%s: %s\n", label, got ? "true" : "false");
	if (got != want)
		FAIL("%s: got %s, expected %s", label, got ? "true" : "false", want ? "true" : "false");
}

static inline void expect_long(const char *label, long got, long want)
{
	printf("%s: %ld\n", label, got);
	if (got != want)
		FAIL("%s: got %ld, expected %ld", label, got, want);
}

#endif

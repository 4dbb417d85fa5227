/* daemon_sigsuspend_chld: the SIGCHLD wait of coreutils' timeout(1) and many
 * supervisors: block SIGCHLD, start a child, then
 *     while (waitpid(pid, &st, WNOHANG) == 0) sigsuspend(&unblocked);
 * The child may exit before the first sigsuspend: then SIGCHLD is already
 * pending while blocked, and sigsuspend must run the handler and return
 * EINTR at once (sigsuspend(2): it "temporarily replaces the signal mask ...
 * and then suspends the thread until delivery of a signal whose action is to
 * invoke a signal handler"), not sleep for ever. Covers both orders: a child
 * that exits at once (pending before the wait) and one that exits after
 * 300 ms (arrives during the wait).
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t chld_seen;

static void on_chld(int sig)
{
	(void)sig;
	chld_seen++;
}

static void wait_child(const char *label, int child_sleep_ms)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	chld_seen = 0;
	pid_t pid = fork();
	if (pid == 0) {
		if (child_sleep_ms)
			sleep_ms(child_sleep_ms);
		_exit(7);
	}
	if (!child_sleep_ms)
		sleep_ms(100); /* the child is gone: SIGCHLD is pending, blocked */
	int st = 0, rounds = 0, eintr = 0;
	pid_t got;
	while ((got = waitpid(pid, &st, WNOHANG)) == 0) {
		rounds++;
		if (sigsuspend(&old) == -1 && errno == EINTR)
			eintr++;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("%s: reaped %s, status %d, handler ran %d, sigsuspend returned EINTR %s\n", label,
	       got == pid ? "the child" : "FAILED", WIFEXITED(st) ? WEXITSTATUS(st) : -1, chld_seen,
	       eintr == rounds ? "every time" : "not always");
	CHECK(got == pid && chld_seen == 1, "%s: the SIGCHLD wait went wrong", label);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(20);
	struct sigaction sa = { .sa_handler = on_chld };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	ticker_start();
	wait_child("child exited before the wait", 0);
	wait_child("child exits during the wait", 300);
	ticker_stop();
	return check_status();
}

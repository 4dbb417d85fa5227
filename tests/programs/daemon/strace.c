/* daemon_strace: a debugger started with the preload inherited works.
 *
 * Diagnosing a daemon under libgreen means running strace (or gdb) on it with
 * LD_PRELOAD set, so the debugger itself is preloaded. A tracer's wait reports
 * a tracee's ptrace stop without WUNTRACED and a stop makes no pidfd readable:
 * before shim/process/wait.cc made such waits natively, strace hung in its
 * first wait. This program runs `strace -f -o /dev/null` on a shell pipeline
 * and on itself in a threaded child mode, each with its stdout on a pipe read
 * here, and checks the output and exit statuses; then it is a tracer itself:
 * a PTRACE_TRACEME child stops, is continued and exits (after the ticker has
 * stopped: a tracer's waits block the hub, as natively).
 * Without strace installed it prints one skip line (the same in both runs).
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static int have_strace(void)
{
	const char *path = getenv("PATH");
	char dir[4096], file[4200];
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(dir, sizeof dir, "%.*s", (int)n, path);
		snprintf(file, sizeof file, "%s/strace", n ? dir : ".");
		if (access(file, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static void *child_thread(void *arg)
{
	sleep_ms(20);
	return arg;
}

/* The traced child mode: threads that sleep and join, then exit 5. */
static int threaded_child(void)
{
	pthread_t t[4];
	long sum = 0;
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, child_thread, (void *)(i + 1));
	for (int i = 0; i < 4; i++) {
		void *v;
		pthread_join(t[i], &v);
		sum += (long)v;
	}
	printf("threaded child: joined, sum %ld\n", sum);
	fflush(stdout);
	return 5;
}

/* Runs argv with stdout on a pipe; prints what it wrote and how it ended. */
static void run_traced(const char *label, char *const argv[])
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	fflush(stdout);
	long t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid %s", label);
	printf("%s: output:\n%s", label, buf);
	if (WIFEXITED(st))
		printf("%s: exited %d\n", label, WEXITSTATUS(st));
	else
		printf("%s: killed by signal %d\n", label, WTERMSIG(st));
	fprintf(stderr, "%s: %ld ms\n", label, ms_since(t0));
}

/* This process as the tracer of a PTRACE_TRACEME child (strace's own
 * start-up probe): the stop is reported, PTRACE_CONT, the exit reported. */
static void traceme_child(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
			_exit(90);
		raise(SIGSTOP);
		_exit(6);
	}
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid for the stop");
	expect_bool("traceme: stopped by SIGSTOP", WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, true);
	CHECK(ptrace(PTRACE_CONT, pid, NULL, NULL) == 0, "PTRACE_CONT");
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid for the exit");
	expect_bool("traceme: exited 6", WIFEXITED(st) && WEXITSTATUS(st) == 6, true);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return threaded_child();
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);
	if (!have_strace()) {
		printf("daemon_strace: strace not installed, skipped\n");
		return 0;
	}
	ticker_start();
	char *shell[] = {"strace", "-f", "-o", "/dev/null", "/bin/sh", "-c",
			 "echo shell-out; echo piped | cat; /bin/true; exit 3", NULL};
	run_traced("strace sh", shell);
	char *self[] = {"strace", "-f", "-o", "/dev/null", argv[0], "child", NULL};
	run_traced("strace threaded child", self);
	ticker_stop();
	traceme_child();
	return finish("daemon_strace");
}

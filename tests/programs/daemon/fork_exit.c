/* daemon_fork_exit: a forked child that ends with exit(), not _exit().
 *
 * exit() runs every atexit handler and shared-object destructor in the child,
 * as it does in the parent (a shell's subshell, a daemon's worker). The parent
 * first does blocking work that libgreen runs on helper threads (fsync of a
 * file), so a preloaded child inherits state naming threads that do not exist
 * in it (fork(2): "The child process is created with a single thread"); its
 * exit must still be clean. Also checks a thread created in the child works,
 * and that a child doing such work itself (new helper threads, which glibc
 * may give the handles of the parent's vanished ones) still exits cleanly:
 * exit() waits for its helpers (Apache's worker children aborted here).
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

static void *child_thread(void *arg)
{
	(void)arg;
	sleep_ms(50);
	return (void *)42;
}

static void at_exit_note(void)
{
	printf("atexit handler ran in pid role: %s\n", getenv("FORK_EXIT_ROLE"));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(20);
	ticker_start();
	char path[] = "/tmp/fork_exit_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	unlink(path);
	for (int i = 0; i < 4; i++) {
		CHECK(write(fd, "data\n", 5) == 5, "write");
		CHECK(fsync(fd) == 0, "fsync");
	}
	close(fd);
	for (int round = 0; round < 3; round++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			setenv("FORK_EXIT_ROLE", "child", 1);
			atexit(at_exit_note);
			pthread_t t;
			void *v = NULL;
			pthread_create(&t, NULL, child_thread, NULL);
			pthread_join(t, &v);
			printf("child %d: thread returned %ld\n", round, (long)v);
			int cfd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
			for (int i = 0; round == 2 && cfd >= 0 && i < 8; i++) {
				CHECK(write(cfd, "more\n", 5) == 5, "write");
				CHECK(fsync(cfd) == 0, "fsync");
			}
			if (cfd >= 0)
				close(cfd);
			exit(3 + round);
		}
		int st = 0;
		CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
		printf("child %d: %s %d\n", round, WIFEXITED(st) ? "exited" : "killed by signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	ticker_stop();
	return check_status();
}

/* daemon_fork_exec_busy: fork and exec, over and over, while another thread
 * computes (a daemon spawning helpers beside a busy worker).
 *
 * Under libgreen the computing thread is watched: its hub is probed with a
 * signal every few milliseconds. A fork can land while a probe is being
 * sent; the child has no such sender, and its exec once waited for that send
 * to end for ever (CPython's test_eintr hung in a forked child's execv).
 * Each child execs /bin/true; every one must exit 0. Hangs without the fix
 * only when a fork hits the send, so it is a stress, not a sure catch.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>

static atomic_int stop;
static volatile unsigned long spins;

/* Computes in 12 ms stretches with a yield between: each stretch is long
 * enough to be probed under libgreen, so probes are frequent. */
static void *compute(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		long t0 = now_ms();
		while (now_ms() - t0 < 12)
			spins++;
		sched_yield();
	}
	return NULL;
}

int main(void)
{
	check_init(50);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, compute, NULL);
	int ok = 0;
	enum { kChildren = 200 };
	for (int i = 0; i < kChildren; i++) {
		pid_t pid = fork();
		if (pid < 0)
			tfail("fork");
		if (pid == 0) {
			char *argv[] = {"true", NULL};
			execv("/bin/true", argv);
			_exit(127);
		}
		int st = 0;
		if (waitpid(pid, &st, 0) != pid)
			tfail("waitpid");
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("%d of %d children exec'd /bin/true and exited 0\n", ok, kChildren);
	tfail_flush();
	return finish("fork_exec_busy");
}

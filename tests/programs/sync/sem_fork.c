/* sem_fork.c: a process-shared semaphore in MAP_SHARED memory used across fork().
 *
 * sem_init(3) with pshared != 0 on memory shared between processes: a post
 * in one process wakes a waiter in the other (the kernel futex is keyed by
 * the shared page). The parent first blocks 400 ms in sem_wait until the
 * child posts (under libgreen the waiting thread must park and the ticker
 * keep running even though the waker is another process), then the two ping-
 * pong 200 rounds on two semaphores, then the child waits with
 * sem_timedwait for a post that never comes (ETIMEDOUT) and reports through
 * its exit status. Pins down exact round counts and the child's status.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define ROUNDS 200

struct shared {
	sem_t ping;
	sem_t pong;
	sem_t ready;
	int child_rounds;
};

static int child(struct shared *sh)
{
	alarm(20);
	sleep_ms(400);
	sem_post(&sh->ready);
	for (int i = 0; i < ROUNDS; i++) {
		if (sem_wait(&sh->ping) != 0)
			return 10;
		sh->child_rounds++;
		sem_post(&sh->pong);
	}
	struct timespec dl = deadline_ms(CLOCK_REALTIME, 100);
	if (sem_timedwait(&sh->ping, &dl) == 0 || errno != ETIMEDOUT)
		return 11;
	return 0;
}

int main(void)
{
	check_init(30);
	ticker_start();
	struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		FAIL("mmap: %s", ename(errno));
		return 1;
	}
	expect("sem_init pshared ping", err_of(sem_init(&sh->ping, 1, 0)), 0);
	expect("sem_init pshared pong", err_of(sem_init(&sh->pong, 1, 0)), 0);
	expect("sem_init pshared ready", err_of(sem_init(&sh->ready, 1, 0)), 0);

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		FAIL("fork: %s", ename(errno));
		return 1;
	}
	if (pid == 0)
		_exit(child(sh));

	long t0 = now_ns();
	expect("parent sem_wait for the child's first post", err_of(sem_wait(&sh->ready)), 0);
	fprintf(stderr, "parent waited %ld ms\n", ms_since(t0));
	int rounds = 0;
	for (int i = 0; i < ROUNDS; i++) {
		sem_post(&sh->ping);
		struct timespec dl = deadline_ms(CLOCK_REALTIME, 5000);
		if (sem_timedwait(&sh->pong, &dl) != 0) {
			FAIL("round %d: sem_timedwait: %s", i, ename(errno));
			break;
		}
		rounds++;
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		FAIL("waitpid: %s", ename(errno));
	printf("parent rounds: %d, child rounds: %d\n", rounds, sh->child_rounds);
	if (rounds != ROUNDS || sh->child_rounds != ROUNDS)
		FAIL("rounds %d/%d, expected %d", rounds, sh->child_rounds, ROUNDS);
	printf("child exit: %s %d\n", WIFEXITED(status) ? "status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("child did not exit 0");
	int v = -1;
	sem_getvalue(&sh->ping, &v);
	printf("ping value at the end: %d\n", v);
	sem_destroy(&sh->ping);
	sem_destroy(&sh->pong);
	sem_destroy(&sh->ready);
	munmap(sh, sizeof *sh);
	ticker_stop();
	return check_status();
}

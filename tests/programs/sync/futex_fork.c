/* futex_fork.c: a shared futex in MAP_SHARED memory used across fork().
 *
 * futex(2): a futex without FUTEX_PRIVATE_FLAG on a MAP_SHARED page is keyed
 * by the page, so processes can wait and wake each other; a private futex is
 * keyed by the address space, so a private wake from another process finds
 * nobody. Pins down:
 *   - the child blocks in FUTEX_WAIT, the parent's FUTEX_WAKE reports 1 woken;
 *   - the parent blocks 400 ms in FUTEX_WAIT until the child wakes it (under
 *     libgreen the waiter must park even though the waker is another process
 *     the runtime cannot see, and the ticker must keep running);
 *   - the parent's FUTEX_WAIT_PRIVATE times out (ETIMEDOUT) although the
 *     child issues FUTEX_WAKE_PRIVATE on the same shared word, which reports
 *     0 woken;
 *   - the child's exit status carries its own checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

struct shared {
	int child_ready;
	int to_child;
	int to_parent;
	int private_word;
	int child_private_woken;
	int parent_waiting_private;
	int child_shared_woken;
};

static long futex(int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void wait_flag(int *flag, int value)
{
	for (int i = 0; i < 10000 && __atomic_load_n(flag, __ATOMIC_SEQ_CST) != value; i++)
		sleep_ms(1);
}

static int child(struct shared *sh)
{
	alarm(20);
	__atomic_store_n(&sh->child_ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->to_child, __ATOMIC_SEQ_CST) == 0)
		if (futex(&sh->to_child, FUTEX_WAIT, 0, NULL) != 0 && errno != EAGAIN && errno != EINTR)
			return 10;

	sleep_ms(400);
	__atomic_store_n(&sh->to_parent, 1, __ATOMIC_SEQ_CST);
	sh->child_shared_woken = (int)futex(&sh->to_parent, FUTEX_WAKE, INT_MAX, NULL);

	wait_flag(&sh->parent_waiting_private, 1);
	sleep_ms(100);
	sh->child_private_woken = (int)futex(&sh->private_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
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
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		FAIL("fork: %s", ename(errno));
		return 1;
	}
	if (pid == 0)
		_exit(child(sh));

	wait_flag(&sh->child_ready, 1);
	sleep_ms(150);
	__atomic_store_n(&sh->to_child, 1, __ATOMIC_SEQ_CST);
	long woken = futex(&sh->to_child, FUTEX_WAKE, INT_MAX, NULL);
	printf("parent FUTEX_WAKE of the waiting child: %ld woken\n", woken);
	if (woken != 1)
		FAIL("parent woke %ld, expected 1", woken);

	long t0 = now_ns();
	struct timespec rel = { 5, 0 };
	int rc = 0;
	while (__atomic_load_n(&sh->to_parent, __ATOMIC_SEQ_CST) == 0) {
		if (futex(&sh->to_parent, FUTEX_WAIT, 0, &rel) != 0 && errno != EAGAIN) {
			rc = errno;
			break;
		}
	}
	expect("parent FUTEX_WAIT until the child wakes it", rc, 0);
	fprintf(stderr, "parent waited %ld ms\n", ms_since(t0));

	struct timespec short_rel = { 0, 400 * 1000 * 1000 };
	__atomic_store_n(&sh->parent_waiting_private, 1, __ATOMIC_SEQ_CST);
	t0 = now_ns();
	rc = futex(&sh->private_word, FUTEX_WAIT_PRIVATE, 0, &short_rel) == 0 ? 0 : errno;
	expect("parent FUTEX_WAIT_PRIVATE while the child wakes privately", rc, ETIMEDOUT);
	if (ms_since(t0) < 390)
		FAIL("private wait returned early");

	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		FAIL("waitpid: %s", ename(errno));
	printf("child FUTEX_WAKE of the waiting parent: %d woken\n", sh->child_shared_woken);
	printf("child FUTEX_WAKE_PRIVATE on the shared word: %d woken\n", sh->child_private_woken);
	printf("child exit: %s %d\n", WIFEXITED(status) ? "status" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (sh->child_shared_woken != 1)
		FAIL("child woke %d, expected 1", sh->child_shared_woken);
	if (sh->child_private_woken != 0)
		FAIL("a private wake from another process woke %d", sh->child_private_woken);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("child did not exit 0");
	munmap(sh, sizeof *sh);
	ticker_stop();
	return check_status();
}

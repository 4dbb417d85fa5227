/* vm_refused.c: blocking calls work where process_vm_readv is refused.
 *
 * Containers and emulators may refuse process_vm_readv/writev (a seccomp
 * profile answers EPERM, qemu-user ENOSYS). The program installs such a
 * filter on itself (seccomp(2), SECCOMP_RET_ERRNO), then makes the calls
 * that pass pointers to structures: nanosleep and clock_nanosleep
 * (timespec), poll (pollfd array and timeout), select (timeval, fd_sets),
 * pselect and sigtimedwait (sigset_t), read/write/readv/writev on a pipe
 * between threads. Every result must be what the kernel gives natively.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "check.h"
#include "ticker.h"

static void refuse_process_vm(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {sizeof code / sizeof code[0], code};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		FAIL("seccomp: %s", strerror(errno));
		exit(1);
	}
	char a = 1, b = 0;
	struct iovec l = {&b, 1}, r = {&a, 1};
	ssize_t n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	printf("process_vm_readv after the filter: %zd %s\n", n, n < 0 ? strerrorname_np(errno) : "");
}

static int pipefd[2];

static void *writer(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 30 * 1000000};
	nanosleep(&ts, NULL);
	char part1[] = "hello ", part2[] = "world";
	struct iovec iov[2] = {{part1, 6}, {part2, 5}};
	writev(pipefd[1], iov, 2);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	write(pipefd[1], "!", 1);
	return NULL;
}

int main(void)
{
	ticker_start();
	refuse_process_vm();
	pipe(pipefd);
	pthread_t th;
	pthread_create(&th, NULL, writer, NULL);

	struct pollfd p = {pipefd[0], POLLIN, 0};
	int n = poll(&p, 1, 5000);
	printf("poll: %d revents=%s\n", n, (p.revents & POLLIN) ? "POLLIN" : "-");
	char buf[32] = {0};
	struct iovec iov = {buf, 11};
	ssize_t got = readv(pipefd[0], &iov, 1);
	printf("readv: %zd '%s'\n", got, buf);

	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(pipefd[0], &rd);
	struct timeval tv = {5, 0};
	n = select(pipefd[0] + 1, &rd, NULL, NULL, &tv);
	printf("select: %d readable=%d\n", n, FD_ISSET(pipefd[0], &rd) ? 1 : 0);
	got = read(pipefd[0], buf, sizeof buf);
	printf("read: %zd '%.*s'\n", got, (int)got, buf);

	struct timespec short_wait = {0, 20 * 1000000};
	FD_ZERO(&rd);
	FD_SET(pipefd[0], &rd);
	n = pselect(pipefd[0] + 1, &rd, NULL, NULL, &short_wait, NULL);
	printf("pselect with nothing to read: %d\n", n);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	n = sigtimedwait(&set, NULL, &short_wait);
	printf("sigtimedwait with nothing pending: %d %s\n", n, n < 0 ? strerrorname_np(errno) : "");

	pthread_join(th, NULL);
	ticker_stop();
	return check_status();
}

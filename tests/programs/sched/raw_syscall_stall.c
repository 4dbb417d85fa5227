/* raw_syscall_stall: a thread blocked in a system call libgreen cannot see.
 *
 * A library that makes its own `syscall` instruction (liburing's
 * io_uring_enter, Go-style runtimes) blocks its OS thread where no
 * interposer can park it. Here a reader makes a raw read(2) on an empty pipe
 * that a writer fills a second later, while a sleeper ticks every 10 ms; a
 * second reader does the same through libc's syscall(SYS_read, ...), which
 * libgreen's syscall() interposer passes through (as libaio's
 * io_getevents, which stock MariaDB waits in).
 * Natively all three are OS threads. Under libgreen on one hub, before
 * hand-off, the writer never ran and this hung for ever (issue #12); now the
 * monitor hands the hub to another OS thread and the writer writes.
 *
 * Checks: the reader gets the writer's bytes; the sleeper is never more than
 * 250 ms late (timing); the writer's sleep ends on time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"

static int g_pipe[2], g_pipe2[2];
static volatile int g_done, g_done2;

/* read(2) by the instruction: no libc function, nothing to interpose. A
 * signal's handler (SA_RESTART) makes the kernel restart it. */
static long raw_read(int fd, void *buf, unsigned long n)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = SYS_read;
	register long x0 __asm__("x0") = fd;
	register long x1 __asm__("x1") = (long)buf;
	register long x2 __asm__("x2") = (long)n;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
#else
#error "raw_read: no inline system call for this CPU"
#endif
}

/* Waits in read on fd by `how`, expecting `want`; sets *done. */
static void wait_read(long (*how)(int, void *, unsigned long), int fd, const char *want,
		      const char *what, volatile int *done)
{
	char buf[32] = {0};
	long n;
	do
		n = how(fd, buf, sizeof buf - 1);
	while (n == -EINTR || (n == -1 && errno == EINTR));
	CHECK(n == 5 && strcmp(buf, want) == 0, "%s returned %ld \"%s\"", what, n, buf);
	printf("%s: %ld bytes\n", what, n);
	*done = 1;
}

static long libc_read(int fd, void *buf, unsigned long n)
{
	return syscall(SYS_read, fd, buf, n);
}

static void *reader(void *arg)
{
	(void)arg;
	wait_read(raw_read, g_pipe[0], "hello", "raw read", &g_done);
	return NULL;
}

static void *libc_reader(void *arg)
{
	(void)arg;
	wait_read(libc_read, g_pipe2[0], "world", "syscall(SYS_read)", &g_done2);
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	long t0 = now_ns();
	sleep_ms(1000);
	long took = ms_since(t0);
	CHECK(took >= 1000, "writer woke after %ld ms, before 1000", took);
	CHECK_TIMING(took <= 1250, "writer woke after %ld ms, wanted 1000", took);
	CHECK(write(g_pipe[1], "hello", 5) == 5, "write: %s", ename(errno));
	while (!g_done)
		sleep_ms(1); /* the two readers print in a fixed order */
	CHECK(write(g_pipe2[1], "world", 5) == 5, "write: %s", ename(errno));
	return NULL;
}

int main(void)
{
	check_init(30);
	CHECK(pipe(g_pipe) == 0 && pipe(g_pipe2) == 0, "pipe: %s", ename(errno));
	pthread_t r, r2, w;
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&r2, NULL, libc_reader, NULL);
	sleep_ms(20); /* the reader is in its raw read first */
	pthread_create(&w, NULL, writer, NULL);
	long worst = 0;
	while (!g_done || !g_done2) {
		long t0 = now_ns();
		sleep_ms(10);
		long late = ms_since(t0) - 10;
		if (late > worst)
			worst = late;
	}
	pthread_join(r, NULL);
	pthread_join(r2, NULL);
	pthread_join(w, NULL);
	fprintf(stderr, "sleeper: worst %ld ms late\n", worst);
	CHECK_TIMING(worst <= 250, "the 10 ms sleeper was %ld ms late beside a raw read", worst);
	printf("sleeper kept its period: yes\n");
	return finish("sched_raw_syscall_stall");
}

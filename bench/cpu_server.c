/*
 * cpu_server: a thread-per-connection server whose requests cost CPU.
 *
 * Each request is a line "W\n": the thread computes W microseconds' worth
 * of arithmetic (a fixed count of loop iterations: no system call, nothing
 * libgreen sees) and answers "ok\n". The work is counted, not timed: a
 * loop "until the clock says W us" would finish on time while its thread
 * waited for a CPU, so more threads than CPUs would seem to do more work
 * than the CPUs can. The iterations per microsecond are measured once, by
 * --calibrate, and passed to every run compared (bench/cpu_bench.sh). One detached OS thread per connection, blocking
 * accept/read/write: the classic daemon, for issue #12's benchmark of
 * several cores (bench/cpu_bench.sh drives it with bench/cpu_load).
 *
 * usage: cpu_server PORT [ITERS_PER_US]   (0: an ephemeral port, printed as
 *        "listening on PORT"; ITERS_PER_US default 300)
 *        cpu_server --calibrate            prints ITERS_PER_US for this CPU
 * SIGTERM/SIGINT: the accept loop ends (EINTR), exit 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long iters_per_us = 300;
static volatile unsigned long sink;

static void spin(long iters)
{
	unsigned long x = sink;
	for (long i = 0; i < iters; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

static void compute_us(long us)
{
	spin(us * iters_per_us);
}

static long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Iterations per microsecond of this thread's CPU time: the best of 5
 * runs of 20 ms each (the fastest is the one least disturbed). */
static long calibrate(void)
{
	long best = 0;
	for (int r = 0; r < 5; r++) {
		long iters = 0, t0 = cpu_ns();
		while (cpu_ns() - t0 < 20000000) {
			spin(100000);
			iters += 100000;
		}
		long rate = iters * 1000 / (cpu_ns() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[256];
	size_t have = 0;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (!nl) {
			if (have == sizeof buf)
				break;
			ssize_t n = read(fd, buf + have, sizeof buf - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			continue;
		}
		*nl = 0;
		compute_us(atol(buf));
		size_t used = (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, have - used);
		have -= used;
		if (write(fd, "ok\n", 3) != 3)
			break;
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--calibrate") == 0) {
		printf("%ld\n", calibrate());
		return 0;
	}
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: cpu_server PORT [ITERS_PER_US] | cpu_server --calibrate\n");
		return 2;
	}
	if (argc == 3 && (iters_per_us = atol(argv[2])) <= 0) {
		fprintf(stderr, "cpu_server: ITERS_PER_US must be a positive number\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term; /* no SA_RESTART: accept() fails with EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0) {
		perror("cpu_server: bind/listen");
		return 1;
	}
	socklen_t len = sizeof a;
	getsockname(ls, (struct sockaddr *)&a, &len);
	printf("listening on %d\n", ntohs(a.sin_port));
	fflush(stdout);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!stop) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("cpu_server: accept");
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		pthread_t t;
		if (pthread_create(&t, &attr, serve, (void *)(long)fd) != 0)
			close(fd);
	}
	close(ls);
	return 0;
}

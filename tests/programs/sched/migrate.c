/* migrate: threads that wait on pipes, sockets, poll and sleeps beside
 * threads that compute, so that under libgreen with several hubs an idle hub
 * steals green threads from a busy one (runtime/sched/steal.h) while they
 * wait or are about to run. Natively the kernel moves threads between CPUs
 * the same way; a program must not notice either.
 *
 * Twelve pairs of threads pass a counter back and forth 600 times over a
 * pipe (pairs 0-5) or a socketpair (pairs 6-11), each side checking after
 * every blocking call that
 *   - its __thread values and pthread_self() are its own,
 *   - errno it set before a call that succeeded is untouched (DESIGN rule 1),
 *   - the malloc'd block it keeps across the waits is intact, and blocks it
 *     allocates and frees meanwhile work (each OS thread's malloc cache),
 *   - the counter is the one expected (nothing lost, nothing twice);
 * every 16th turn a side waits in poll() or nanosleep instead of read().
 * Two more threads compute in 1 ms slices between 2 ms sleeps, so the hub
 * they are on has a queue while another may be idle.
 *
 * stdout: one line per pair with its final counter, then "migrate: done".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"

enum { kPairs = 12, kTurns = 600, kHogs = 2 };

static __thread long t_id = -1;
static __thread char t_tag[32];
static volatile int g_stop;

struct side {
	int id;       /* 0 .. 2*kPairs-1 */
	int in, out;  /* read from in, write to out */
	long final;
};

static struct side sides[2 * kPairs];

static void check_self(const struct side* s, pthread_t me, const char* where)
{
	char want[32];
	snprintf(want, sizeof want, "side-%d", s->id);
	if (t_id != s->id || strcmp(t_tag, want) != 0)
		tfail("side %d: __thread values changed after %s (%ld, %s)", s->id, where, t_id, t_tag);
	if (!pthread_equal(pthread_self(), me))
		tfail("side %d: pthread_self() changed after %s", s->id, where);
}

static int wait_readable(const struct side* s, int turn)
{
	if (turn % 32 == 0) {
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	if (turn % 16 == 0) {
		struct pollfd p = {s->in, POLLIN, 0};
		int r = poll(&p, 1, 10000);
		if (r != 1 || !(p.revents & POLLIN))
			return -1;
	}
	return 0;
}

static void* run_side(void* arg)
{
	struct side* s = arg;
	pthread_t me = pthread_self();
	t_id = s->id;
	snprintf(t_tag, sizeof t_tag, "side-%d", s->id);
	size_t keep_n = 1000 + (size_t)s->id * 37;
	unsigned char* keep = malloc(keep_n);
	if (!keep) {
		tfail("side %d: malloc", s->id);
		return NULL;
	}
	for (size_t i = 0; i < keep_n; i++) keep[i] = (unsigned char)(i * 7 + (size_t)s->id);
	/* Side a writes 1 and then reads the even numbers; side b reads the odd. */
	long expect = 1;
	if (s->id % 2 == 0) {
		long v = 1;
		if (write(s->out, &v, sizeof v) != sizeof v)
			tfail("side %d: first write: %s", s->id, ename(errno));
		expect = 2;
	}
	for (int turn = 0; turn < kTurns; turn++) {
		if (wait_readable(s, turn) != 0) {
			tfail("side %d: poll turn %d", s->id, turn);
			break;
		}
		long v = 0;
		errno = 1234;
		ssize_t n = read(s->in, &v, sizeof v);
		if (n != sizeof v) {
			tfail("side %d: read turn %d: %zd %s", s->id, turn, n, ename(errno));
			break;
		}
		if (errno != 1234)
			tfail("side %d: errno %d after a read that succeeded (turn %d)", s->id, errno, turn);
		check_self(s, me, "read");
		if (v != expect) {
			tfail("side %d: turn %d got %ld, expected %ld", s->id, turn, v, expect);
			break;
		}
		void* churn = malloc(64 + (size_t)turn % 512);
		if (!churn) {
			tfail("side %d: malloc turn %d", s->id, turn);
			break;
		}
		memset(churn, turn, 64);
		free(churn);
		v++;
		errno = 4321;
		if (write(s->out, &v, sizeof v) != sizeof v) {
			tfail("side %d: write turn %d: %s", s->id, turn, ename(errno));
			break;
		}
		if (errno != 4321)
			tfail("side %d: errno %d after a write that succeeded (turn %d)", s->id, errno, turn);
		check_self(s, me, "write");
		s->final = v;
		expect = v + 1; /* the other side adds one */
	}
	for (size_t i = 0; i < keep_n; i++)
		if (keep[i] != (unsigned char)(i * 7 + (size_t)s->id)) {
			tfail("side %d: the block kept across the waits changed at %zu", s->id, i);
			break;
		}
	free(keep);
	return NULL;
}

static void* hog(void* arg)
{
	(void)arg;
	volatile unsigned long x = 1;
	while (!g_stop) {
		int64_t end = now_ms() + 1;
		while (now_ms() < end) x = x * 6364136223846793005ul + 1;
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void)
{
	check_init(120);
	for (int p = 0; p < kPairs; p++) {
		int ab[2], ba[2];
		if (p < kPairs / 2) {
			if (pipe(ab) != 0 || pipe(ba) != 0)
				FAIL("pipe: %s", ename(errno));
		} else {
			int sv[2];
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
				FAIL("socketpair: %s", ename(errno));
			ab[0] = sv[1], ab[1] = sv[0], ba[0] = sv[0], ba[1] = sv[1];
		}
		sides[2 * p] = (struct side){.id = 2 * p, .in = ba[0], .out = ab[1]};
		sides[2 * p + 1] = (struct side){.id = 2 * p + 1, .in = ab[0], .out = ba[1]};
	}
	pthread_t hogs[kHogs], t[2 * kPairs];
	for (int i = 0; i < kHogs; i++) pthread_create(&hogs[i], NULL, hog, NULL);
	for (int i = 0; i < 2 * kPairs; i++) pthread_create(&t[i], NULL, run_side, &sides[i]);
	for (int i = 0; i < 2 * kPairs; i++) pthread_join(t[i], NULL);
	g_stop = 1;
	for (int i = 0; i < kHogs; i++) pthread_join(hogs[i], NULL);
	tfail_flush();
	for (int p = 0; p < kPairs; p++)
		printf("pair %d: %ld %ld\n", p, sides[2 * p].final, sides[2 * p + 1].final);
	finish("migrate");
	return check_status();
}

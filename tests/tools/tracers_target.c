/* tracers_target.c: a small threaded program for tests/tools/tracers_test.py
 * to run under gdb, ltrace and valgrind. Knows nothing of libgreen. Four
 * threads pass a token round a ring of pipes 50 times, each sleeping 1 ms
 * on its turn; main joins them, checks a heap buffer the threads filled and
 * prints one line per thread, in order. Exit 0, or 1 when a check fails. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 4, kRounds = 50 };

static int ring[kThreads][2];
static long turns[kThreads];
static char *filled;

static void *pass_on(void *arg)
{
	long i = (long)arg;
	char c;
	for (int r = 0; r < kRounds; r++) {
		if (read(ring[i][0], &c, 1) != 1)
			return (void *)1;
		usleep(1000);
		filled[i * kRounds + r] = (char)('a' + i);
		turns[i]++;
		if (write(ring[(i + 1) % kThreads][1], &c, 1) != 1)
			return (void *)1;
	}
	return NULL;
}

int main(void)
{
	filled = malloc(kThreads * kRounds);
	if (!filled)
		return 1;
	for (int i = 0; i < kThreads; i++)
		if (pipe(ring[i]) != 0)
			return 1;
	pthread_t t[kThreads];
	for (long i = 0; i < kThreads; i++)
		pthread_create(&t[i], NULL, pass_on, (void *)i);
	if (write(ring[0][1], "x", 1) != 1)
		return 1;
	int bad = 0;
	for (int i = 0; i < kThreads; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		bad |= rv != NULL;
	}
	for (int i = 0; i < kThreads; i++) {
		int ok = 1;
		for (int r = 0; r < kRounds; r++)
			ok &= filled[i * kRounds + r] == 'a' + i;
		printf("thread %d: %ld turns, buffer %s\n", i, turns[i], ok ? "intact" : "WRONG");
		bad |= !ok;
	}
	free(filled);
	return bad;
}

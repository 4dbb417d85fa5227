/* sigpipe.c: death by SIGPIPE of a writer blocked on a full pipe.
 *
 * Pins down (pipe(7), signal(7)): with SIGPIPE at its default disposition, a
 * thread blocked in write() on a full pipe whose last reader is closed gets
 * SIGPIPE (thread-directed) and the whole process dies of it: the exit
 * status seen by the parent is "killed by signal 13", which difftest.py
 * compares. Under libgreen the write is parked, not in the kernel, so the
 * shim's retry of the write must be what raises the signal, for the right
 * thread. stdout is flushed before the death so both runs print the same.
 */
#include "check.h"
#include "clock.h"

#include <pthread.h>

static int pf[2];

static void *writer(void *arg)
{
	(void)arg;
	static char chunk[200000];
	ssize_t n = write(pf[1], chunk, sizeof chunk);
	FAIL("write returned %zd (%s) instead of killing the process", n, ename(errno));
	fflush(stdout);
	return NULL;
}

int main(void)
{
	alarm(20);
	pipe(pf);
	pthread_t t;
	pthread_create(&t, NULL, writer, NULL);
	sleep_ms(400);
	printf("closing the read end under a blocked writer\n");
	fflush(stdout);
	close(pf[0]);
	pthread_join(t, NULL);
	FAIL("still alive");
	return check_status();
}

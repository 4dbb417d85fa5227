/* mutex_write.c: a mutex held across a blocking socket write while others contend.
 *
 * The holder locks a mutex and writes 4 MiB into a socketpair(2) whose reader
 * sleeps 500 ms before draining, so write(2) blocks (a full AF_UNIX stream
 * buffer blocks the writer, unix(7)). Meanwhile four threads call
 * pthread_mutex_lock on the held mutex and one calls pthread_mutex_timedlock
 * with a 100 ms deadline. Natively they are separate OS threads; under
 * libgreen the holder must park in write and the contenders park on the
 * mutex, so the ticker keeps running. Pins down: the timedlock returns
 * ETIMEDOUT, no contender gets the mutex before the write finished, every
 * byte arrives intact and in order, and the contenders' increments are exact.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <semaphore.h>
#include <sys/socket.h>

#include "check.h"
#include "clock.h"
#include "ticker.h"

#define TOTAL (4 * 1024 * 1024)
#define CONTENDERS 4
#define ROUNDS 25

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t held;
static int sv[2];
static int write_done;
static int counter;
static int early_entries;
static int timedlock_rc = -1;
static long write_total;
static long read_total;
static int read_bad;

static unsigned char pattern(long i)
{
	return (unsigned char)((i * 7 + (i >> 12)) & 0xff);
}

static void *holder(void *arg)
{
	(void)arg;
	static unsigned char buf[TOTAL];
	for (long i = 0; i < TOTAL; i++)
		buf[i] = pattern(i);
	pthread_mutex_lock(&m);
	for (int i = 0; i < CONTENDERS + 1; i++)
		sem_post(&held);
	long off = 0;
	while (off < TOTAL) {
		ssize_t n = write(sv[0], buf + off, TOTAL - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			FAIL("write: %s", ename(errno));
			break;
		}
		off += n;
	}
	write_total = off;
	write_done = 1;
	pthread_mutex_unlock(&m);
	close(sv[0]);
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	static unsigned char buf[65536];
	sleep_ms(500);
	long pos = 0;
	for (;;) {
		ssize_t n = read(sv[1], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(pos + i))
				read_bad = 1;
		pos += n;
	}
	read_total = pos;
	return NULL;
}

static void *contender(void *arg)
{
	(void)arg;
	sem_wait(&held);
	for (int r = 0; r < ROUNDS; r++) {
		pthread_mutex_lock(&m);
		if (!write_done)
			early_entries++;
		counter++;
		pthread_mutex_unlock(&m);
		if (r % 5 == 0)
			sched_yield();
	}
	return NULL;
}

static void *timed_contender(void *arg)
{
	(void)arg;
	sem_wait(&held);
	struct timespec dl = deadline_ms(CLOCK_REALTIME, 100);
	timedlock_rc = pthread_mutex_timedlock(&m, &dl);
	if (timedlock_rc == 0)
		pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	sem_init(&held, 0, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		FAIL("socketpair: %s", ename(errno));
		return 1;
	}
	pthread_t h, r, t, c[CONTENDERS];
	pthread_create(&r, NULL, reader, NULL);
	pthread_create(&h, NULL, holder, NULL);
	pthread_create(&t, NULL, timed_contender, NULL);
	for (int i = 0; i < CONTENDERS; i++)
		pthread_create(&c[i], NULL, contender, NULL);
	pthread_join(t, NULL);
	expect("timedlock while held across write", timedlock_rc, ETIMEDOUT);
	for (int i = 0; i < CONTENDERS; i++)
		pthread_join(c[i], NULL);
	pthread_join(h, NULL);
	pthread_join(r, NULL);
	close(sv[1]);

	printf("bytes written: %ld\n", write_total);
	printf("bytes read: %ld\n", read_total);
	printf("data intact: %s\n", read_bad ? "no" : "yes");
	printf("contender increments: %d\n", counter);
	printf("entries before the write finished: %d\n", early_entries);
	if (write_total != TOTAL || read_total != TOTAL)
		FAIL("byte counts %ld/%ld, expected %d", write_total, read_total, TOTAL);
	if (read_bad)
		FAIL("data corrupted");
	if (counter != CONTENDERS * ROUNDS)
		FAIL("counter %d, expected %d", counter, CONTENDERS * ROUNDS);
	if (early_entries)
		FAIL("%d contenders entered while the holder held the mutex", early_entries);
	sem_destroy(&held);
	ticker_stop();
	return check_status();
}

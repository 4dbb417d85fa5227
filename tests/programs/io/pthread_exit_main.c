/* pthread_exit_main.c: main calls pthread_exit and the process lives on.
 *
 * Pins down (pthread_exit(3)): when main calls pthread_exit instead of
 * returning, the other threads keep running; the process exits with status
 * 0 when the last thread terminates, and since glibc ends it through exit(0)
 * the atexit handlers run and stdio is flushed. Here the workers block for
 * a while (sleep, a socket read fed by another worker) after main is gone,
 * and the last one to finish prints the results. Under libgreen main is a
 * green thread too: its pthread_exit must not end the hub or the process.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <stdatomic.h>

static int sv[2];
static pthread_t workers[3];
static atomic_int steps;

static void at_exit_handler(void)
{
	printf("atexit handler ran, steps %d\n", atomic_load(&steps));
	fflush(stdout);
}

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_ms(400);
	atomic_fetch_add(&steps, 1);
	return (void *)1;
}

static void *feeder(void *arg)
{
	(void)arg;
	sleep_ms(600);
	write(sv[1], "data", 4);
	atomic_fetch_add(&steps, 1);
	return (void *)2;
}

static void *reader(void *arg)
{
	(void)arg;
	char buf[8];
	ssize_t n = read_full(sv[0], buf, 4);
	if (n != 4 || memcmp(buf, "data", 4) != 0)
		tfail("reader got %zd bytes", n);
	atomic_fetch_add(&steps, 1);
	return (void *)3;
}

/* Joins the others, then prints; it is the last thread alive. */
static void *last(void *arg)
{
	(void)arg;
	long sum = 0;
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(workers[i], &r);
		sum += (long)r;
	}
	printf("workers finished after main exited: steps %d, return values sum %ld\n", atomic_load(&steps), sum);
	ticker_stop();
	tfail_flush();
	printf("last thread exiting\n");
	return NULL;
}

int main(void)
{
	alarm(20);
	ticker_start();
	atexit(at_exit_handler);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pthread_create(&workers[0], NULL, sleeper, NULL);
	pthread_create(&workers[1], NULL, feeder, NULL);
	pthread_create(&workers[2], NULL, reader, NULL);
	pthread_t t;
	pthread_create(&t, NULL, last, NULL);
	printf("main calls pthread_exit\n");
	fflush(stdout);
	pthread_exit(NULL);
}

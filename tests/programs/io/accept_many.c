/* accept_many.c: many threads blocked in accept() on one listener.
 *
 * Pins down the pre-threaded server pattern (Apache prefork-style workers in
 * threads): 20 threads block in accept() on the same blocking listener, then
 * 20 clients connect one after another. Every connection is accepted exactly
 * once, every acceptor gets exactly one, and none stays blocked: the kernel
 * wakes one exclusive waiter per connection. Under libgreen all acceptors
 * wait for readiness of the same fd; a wake-up that lets several race to the
 * real accept() must not leave a loser blocked in the kernel (DESIGN "Known
 * hard spots"). A second round does the same with clients connecting all at
 * once from their own threads.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <stdatomic.h>

#define N 20

static int listener;
static struct sockaddr_in addr;
static atomic_int accepted;
static int got[N];

static void *acceptor(void *arg)
{
	int i = (int)(long)arg;
	int fd = accept(listener, NULL, NULL);
	if (fd < 0) {
		tfail("acceptor %d: %s", i, ename(errno));
		return NULL;
	}
	char id;
	if (read(fd, &id, 1) != 1 || id < 0 || id >= 2 * N) {
		tfail("acceptor %d: bad client id", i);
	} else {
		got[i] = id;
		atomic_fetch_add(&accepted, 1);
	}
	close(fd);
	return NULL;
}

static void *client(void *arg)
{
	char id = (char)(long)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || write(fd, &id, 1) != 1)
		tfail("client %d: %s", id, ename(errno));
	close(fd);
	return NULL;
}

static void round_trip(int base, int parallel_clients)
{
	pthread_t acc[N], cl[N];
	atomic_store(&accepted, 0);
	for (int i = 0; i < N; i++) {
		got[i] = -1;
		pthread_create(&acc[i], NULL, acceptor, (void *)(long)i);
	}
	sleep_ms(500);
	printf("acceptors returned before any client: %d\n", atomic_load(&accepted));
	for (int i = 0; i < N; i++) {
		if (parallel_clients)
			pthread_create(&cl[i], NULL, client, (void *)(long)(base + i));
		else
			client((void *)(long)(base + i));
	}
	if (parallel_clients)
		for (int i = 0; i < N; i++)
			pthread_join(cl[i], NULL);
	for (int i = 0; i < N; i++)
		pthread_join(acc[i], NULL);
	tfail_flush();

	int seen[2 * N] = { 0 };
	for (int i = 0; i < N; i++)
		if (got[i] >= 0)
			seen[got[i]]++;
	int once = 0;
	for (int i = base; i < base + N; i++)
		once += seen[i] == 1;
	printf("accepted: %d, clients accepted exactly once: %d\n", atomic_load(&accepted), once);
	CHECK(once == N, "some client was not accepted exactly once");
}

int main(void)
{
	alarm(20);
	ticker_start();
	listener = tcp_listener(64, &addr);
	round_trip(0, 0);
	round_trip(N, 1);
	close(listener);
	ticker_stop();
	return finish("io_accept_many");
}

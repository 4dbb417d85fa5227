/* echo.c: a thread-per-connection echo server under load.
 *
 * Pins down: an accept loop thread spawning one pthread per connection, each
 * doing blocking read()/write() until EOF, serving 50 client threads that each
 * do 100 request/response round trips of 1 B .. 64 KiB. Large messages on
 * loopback produce partial reads (read(2) returns what is queued) and the
 * program must see every byte in order. This is the workload libgreen exists
 * for: under the shim every blocking read/write/accept/connect parks a green
 * thread instead of blocking the hub.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <stdatomic.h>

#define CLIENTS 50
#define ROUNDS 100
#define MAXMSG (64 * 1024)

static struct sockaddr_in srv_addr;
static int listener;
static pthread_t handlers[CLIENTS];
static atomic_long bytes_echoed;
static atomic_long client_bytes;
static atomic_long round_trips;

static void *handler(void *arg)
{
	int fd = (int)(long)arg;
	char *buf = malloc(MAXMSG);
	for (;;) {
		ssize_t n = read(fd, buf, MAXMSG);
		if (n < 0) {
			tfail("server read: %s", ename(errno));
			break;
		}
		if (n == 0)
			break;
		if (write_all(fd, buf, (size_t)n) < 0) {
			tfail("server write: %s", ename(errno));
			break;
		}
		atomic_fetch_add(&bytes_echoed, n);
	}
	free(buf);
	close(fd);
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (int i = 0; i < CLIENTS; i++) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			tfail("accept: %s", ename(errno));
			return NULL;
		}
		if (pthread_create(&handlers[i], NULL, handler, (void *)(long)fd) != 0)
			tfail("pthread_create handler");
	}
	return NULL;
}

/* Message size for (client, round): covers 1 B and 64 KiB exactly, the rest spread. */
static size_t msg_size(int c, int r)
{
	if (r == 0)
		return 1;
	if (r == 1)
		return MAXMSG;
	unsigned x = (unsigned)(c * 7919 + r * 104729) * 2654435761u;
	switch (r % 3) {
	case 0:
		return 1 + (x >> 8) % 64;
	case 1:
		return 1 + (x >> 8) % 4096;
	default:
		return 1 + (x >> 8) % MAXMSG;
	}
}

static void *client(void *arg)
{
	int c = (int)(long)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&srv_addr, sizeof srv_addr) < 0) {
		tfail("client %d connect: %s", c, ename(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	unsigned char *out = malloc(MAXMSG), *in = malloc(MAXMSG);
	for (int r = 0; r < ROUNDS; r++) {
		size_t n = msg_size(c, r);
		for (size_t i = 0; i < n; i++)
			out[i] = (unsigned char)(c * 31 + r * 7 + i);
		if (write_all(fd, out, n) < 0) {
			tfail("client %d round %d write: %s", c, r, ename(errno));
			break;
		}
		ssize_t got = read_full(fd, in, n);
		if (got != (ssize_t)n) {
			tfail("client %d round %d: read %zd of %zu (%s)", c, r, got, n, ename(errno));
			break;
		}
		if (memcmp(in, out, n) != 0) {
			tfail("client %d round %d: echoed bytes differ", c, r);
			break;
		}
		atomic_fetch_add(&client_bytes, (long)n);
		atomic_fetch_add(&round_trips, 1);
	}
	free(out);
	free(in);
	close(fd);
	return NULL;
}

int main(void)
{
	alarm(90);
	ticker_start();
	long t0 = now_ns();
	listener = tcp_listener(128, &srv_addr);

	pthread_t acc, clients[CLIENTS];
	pthread_create(&acc, NULL, acceptor, NULL);
	for (int c = 0; c < CLIENTS; c++)
		if (pthread_create(&clients[c], NULL, client, (void *)(long)c) != 0)
			FAIL("pthread_create client %d", c);
	for (int c = 0; c < CLIENTS; c++)
		pthread_join(clients[c], NULL);
	pthread_join(acc, NULL);
	for (int c = 0; c < CLIENTS; c++)
		pthread_join(handlers[c], NULL);
	close(listener);

	long expect = 0;
	for (int c = 0; c < CLIENTS; c++)
		for (int r = 0; r < ROUNDS; r++)
			expect += (long)msg_size(c, r);
	fprintf(stderr, "echo: %ld bytes each way in %ld ms\n", expect, ms_since(t0));

	printf("round trips: %ld\n", atomic_load(&round_trips));
	printf("client bytes: %ld\n", atomic_load(&client_bytes));
	printf("server bytes: %ld\n", atomic_load(&bytes_echoed));
	CHECK(atomic_load(&round_trips) == CLIENTS * ROUNDS, "round trips");
	CHECK(atomic_load(&client_bytes) == expect, "client byte total %ld != %ld",
	      atomic_load(&client_bytes), expect);
	CHECK(atomic_load(&bytes_echoed) == expect, "server byte total");
	ticker_stop();
	return finish("io_echo");
}

/* dgram_shutdown: a blocking receive on a datagram socket shut down for
 * reading returns 0 at once (found by the fuzzer, tests/programs/fuzz).
 * Natively shutdown(SHUT_RD) makes the socket poll readable, a non-blocking
 * receive still fails with EAGAIN, and a blocking one returns 0 (end of
 * file). Under libgreen the non-blocking attempt's EAGAIN parked the thread
 * until a signal or a timeout. Also a receiver already waiting when another
 * thread shuts the socket down is woken with 0, as natively.
 */
#include "check.h"
#include "clock.h"
#include "ticker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, ename(errno));
	else
		printf("%s: %ld\n", what, r);
}

static int target;

static void *shut_later(void *arg)
{
	(void)arg;
	sleep_ms(50);
	if (shutdown(target, SHUT_RD) != 0)
		tfail("shutdown");
	return NULL;
}

static void cases(const char *kind, int s)
{
	char buf[16];
	char w[96];
	target = s;
	pthread_t t;
	pthread_create(&t, NULL, shut_later, NULL);
	snprintf(w, sizeof w, "%s: recv while another thread shuts it down", kind);
	show(w, recv(s, buf, sizeof buf, 0));
	pthread_join(t, NULL);
	snprintf(w, sizeof w, "%s: recv DONTWAIT after shutdown", kind);
	show(w, recv(s, buf, sizeof buf, MSG_DONTWAIT));
	snprintf(w, sizeof w, "%s: recv after shutdown", kind);
	show(w, recv(s, buf, sizeof buf, 0));
	snprintf(w, sizeof w, "%s: read after shutdown", kind);
	show(w, read(s, buf, sizeof buf));
	struct iovec v = {buf, sizeof buf};
	snprintf(w, sizeof w, "%s: readv after shutdown", kind);
	show(w, readv(s, &v, 1));
	struct timeval tv = {0, 5000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	snprintf(w, sizeof w, "%s: recv with SO_RCVTIMEO after shutdown", kind);
	show(w, recv(s, buf, sizeof buf, 0));
}

int main(void)
{
	check_init(30);
	ticker_start();
	int d[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	cases("unix datagram", d[1]);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(u, (void *)&a, sizeof a);
	int u2 = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t al = sizeof a;
	getsockname(u, (void *)&a, &al);
	connect(u2, (void *)&a, sizeof a);
	connect(u, (void *)&a, sizeof a); /* connected: shutdown needs that */
	cases("udp", u);
	tfail_flush();
	ticker_stop();
	return finish("dgram_shutdown");
}

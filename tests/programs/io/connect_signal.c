/* connect_signal: a blocking connect that has to wait (the listener's accept
 * queue is full, so its SYN is dropped and retransmitted a second later),
 * interrupted by a signal handler. Natively (net/ipv4/af_inet.c,
 * sock_intr_errno): without SO_SNDTIMEO the wait is restarted after an
 * SA_RESTART handler (the restarted connect keeps waiting and succeeds once
 * the queue has room) and fails with EINTR after a plain one; with
 * SO_SNDTIMEO it fails with EINTR either way; a timeout alone ends it with
 * EINPROGRESS.
 */
#include "check.h"
#include "sigcount.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

static pthread_t connector;
static int listener;
static struct sockaddr_in addr;

struct kick {
	int accept_after; /* accept one queued connection after the signal */
	int accepted;
};

static void *kicker(void *arg)
{
	struct kick *k = arg;
	sleep_ms(200);
	pthread_kill(connector, SIGUSR1);
	if (k->accept_after) {
		sleep_ms(200);
		k->accepted = accept(listener, NULL, NULL);
	}
	return NULL;
}

/* Returns the socket (connected or not); prints the outcome. */
static int attempt(const char *label, int restart, long sndtimeo_ms, int signal, int accept_after)
{
	sigcount_install(SIGUSR1, restart ? SA_RESTART : 0);
	sigcount_handled = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (sndtimeo_ms) {
		struct timeval tv = { sndtimeo_ms / 1000, (sndtimeo_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	struct kick k = { accept_after, -1 };
	pthread_t t;
	connector = pthread_self();
	if (signal)
		pthread_create(&t, NULL, kicker, &k);
	long t0 = now_ns();
	errno = 0;
	int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
	int e = errno;
	long ms = ms_since(t0);
	if (signal)
		pthread_join(t, NULL);
	report(label, rc, e);
	printf("%s: handler ran: %s\n", label, sigcount_handled ? "yes" : "no");
	fprintf(stderr, "%s: %ld ms\n", label, ms);
	CHECK(ms >= 150, "%s: returned after %ld ms, before the signal or timeout", label, ms);
	if (k.accepted >= 0)
		close(k.accepted);
	return fd;
}

int main(void)
{
	check_init(30);
	ticker_start();
	listener = tcp_listener(0, &addr);
	int first = tcp_connect(&addr); /* fills the accept queue (backlog 0: one) */

	int a = attempt("plain handler", 0, 0, 1, 0);
	/* the interrupted connect goes on in the kernel */
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	EXPECT_ERR("connect again, non-blocking", connect(a, (struct sockaddr *)&addr, sizeof addr),
		   EALREADY);
	close(a);
	/* the kicker accepts `first`, so the retransmitted SYN gets in */
	int b = attempt("SA_RESTART handler", 1, 0, 1, 1);
	/* b's connection now fills the queue */
	int c = attempt("SA_RESTART handler, SO_SNDTIMEO 5 s", 1, 5000, 1, 0);
	close(c);
	int d = attempt("plain handler, SO_SNDTIMEO 5 s", 0, 5000, 1, 0);
	close(d);
	int e = attempt("no signal, SO_SNDTIMEO 300 ms", 1, 300, 0, 0);
	close(e);
	close(b);
	close(first);
	close(listener);
	ticker_stop();
	return finish("connect_signal");
}

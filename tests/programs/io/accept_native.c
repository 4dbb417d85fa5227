/* accept_native.c: a native thread (GREEN_NATIVE) blocking in accept on a
 * listener a green thread made, which libgreen keeps non-blocking in the
 * kernel: the native thread must see a blocking accept's semantics.
 *
 * Pins down, natively and under libgreen with GREEN_NATIVE=native_acceptor:
 * SO_RCVTIMEO bounds the wait (-1 EAGAIN after about the timeout); a client
 * that connects later is accepted with errno left as it was; a handler
 * without SA_RESTART ends the wait with EINTR; a handler with SA_RESTART on
 * a socket without a timeout does not (the kernel restarts accept), so a
 * later client is accepted.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

static int lfd;
static struct sockaddr_in laddr;
static pthread_t acceptor;

static void on_usr1(int sig)
{
	(void)sig;
}

static void handle_usr1(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
}

static void *connect_later(void *arg)
{
	sleep_ms((long)(intptr_t)arg);
	int c = tcp_connect(&laddr);
	sleep_ms(200);
	close(c);
	return NULL;
}

static void *signal_later(void *arg)
{
	sleep_ms((long)(intptr_t)arg);
	pthread_kill(acceptor, SIGUSR1);
	return NULL;
}

static void set_rcvtimeo(long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* The start routine GREEN_NATIVE names (exported: libgreen finds it with
 * dladdr): every accept below is a native one. */
void *native_acceptor(void *arg);
void *native_acceptor(void *arg)
{
	(void)arg;
	pthread_t t;

	set_rcvtimeo(300);
	long t0 = now_ns();
	EXPECT_ERR("accept with SO_RCVTIMEO 300 ms", accept(lfd, NULL, NULL), EAGAIN);
	long ms = ms_since(t0);
	fprintf(stderr, "timeout after %ld ms\n", ms);
	CHECK(ms >= 290, "accept timed out after %ld ms, want 300", ms);
	CHECK_TIMING(ms < 1500, "accept timed out after %ld ms, want 300", ms);
	set_rcvtimeo(0);

	pthread_create(&t, NULL, connect_later, (void *)(intptr_t)100);
	errno = 1234;
	int s = accept(lfd, NULL, NULL);
	int e = errno;
	printf("accept of a later client: %s, errno %d\n", s >= 0 ? "ok" : ename(e), e);
	CHECK(s >= 0 && e == 1234, "accept: %d errno %d, want a socket and errno 1234", s, e);
	if (s >= 0)
		close(s);
	pthread_join(t, NULL);

	handle_usr1(0);
	pthread_create(&t, NULL, signal_later, (void *)(intptr_t)100);
	EXPECT_ERR("accept, handler without SA_RESTART", accept(lfd, NULL, NULL), EINTR);
	pthread_join(t, NULL);

	handle_usr1(SA_RESTART);
	pthread_t t2;
	pthread_create(&t, NULL, signal_later, (void *)(intptr_t)100);
	pthread_create(&t2, NULL, connect_later, (void *)(intptr_t)300);
	s = accept(lfd, NULL, NULL);
	printf("accept, SA_RESTART handler then a client: %s\n", s >= 0 ? "ok" : ename(errno));
	CHECK(s >= 0, "accept after an SA_RESTART handler: %s", ename(errno));
	if (s >= 0)
		close(s);
	pthread_join(t, NULL);
	pthread_join(t2, NULL);
	return NULL;
}

int main(void)
{
	check_init(30);
	ticker_start();
	lfd = tcp_listener(8, &laddr);
	pthread_create(&acceptor, NULL, native_acceptor, NULL);
	pthread_join(acceptor, NULL);
	close(lfd);
	ticker_stop();
	return finish("io_accept_native");
}

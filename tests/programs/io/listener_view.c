/* listener_view: the program's O_NONBLOCK view of a listening socket is the
 * description's, shared by its dups, and survives a dup3 the kernel refuses
 * (both found by the fuzzer, tests/programs/fuzz). libgreen keeps every
 * listener non-blocking itself and shows the program its own view
 * (runtime/io/fd_state.h): a change made through one number must show
 * through the others as the real flag does, and a failed dup3 onto the
 * listener's number must not forget the view (accept would then fail with
 * EAGAIN instead of waiting). A dup made before listen() names the listener
 * too: an F_SETFL through it that clears O_NONBLOCK must not leave libgreen's
 * non-blocking listener blocking underneath (its accept then blocked the
 * whole hub: the client thread never ran; found by the fuzzer on 4 hubs).
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>

static struct sockaddr_in addr;

static int nb(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) ? 1 : 0; }

static void *connect_later(void *arg)
{
	(void)arg;
	sleep_ms(50);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
		tfail("connect");
	sleep_ms(100);
	close(c);
	return NULL;
}

static void accept_waits(int l, const char *what)
{
	pthread_t t;
	pthread_create(&t, NULL, connect_later, NULL);
	int s = accept(l, NULL, NULL);
	printf("%s: accept waited for the client: %s\n", what, s >= 0 ? "yes" : ename(errno));
	if (s >= 0)
		close(s);
	pthread_join(t, NULL);
}

int main(void)
{
	check_init(30);
	ticker_start();
	int l = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof addr;
	bind(l, (struct sockaddr *)&addr, sizeof addr);
	listen(l, 4);
	getsockname(l, (struct sockaddr *)&addr, &al);
	int d = dup(l);
	printf("listener, its dup: O_NONBLOCK %d %d\n", nb(l), nb(d));
	fcntl(d, F_SETFL, O_NONBLOCK);
	printf("after F_SETFL O_NONBLOCK on the dup: %d %d\n", nb(l), nb(d));
	int r = accept(l, NULL, NULL);
	printf("accept on the listener: %d %s\n", r, r < 0 ? ename(errno) : "");
	int off = 0;
	ioctl(d, FIONBIO, &off);
	printf("after FIONBIO 0 on the dup: %d %d\n", nb(l), nb(d));
	accept_waits(l, "blocking again through the dup");
	int on = 1;
	ioctl(l, FIONBIO, &on);
	int d2 = fcntl(l, F_DUPFD_CLOEXEC, 10);
	printf("FIONBIO 1 on the listener, then F_DUPFD: %d %d %d\n", nb(l), nb(d), nb(d2));
	fcntl(d2, F_SETFL, 0);
	printf("F_SETFL 0 on the F_DUPFD copy: %d %d %d\n", nb(l), nb(d), nb(d2));

	int p[2];
	pipe(p);
	errno = 0;
	r = dup3(p[0], l, 0x40);
	printf("dup3(pipe, listener, bad flags) = %d %s\n", r, ename(errno));
	r = dup3(l, l, O_CLOEXEC);
	printf("dup3(listener, listener) = %d %s\n", r, ename(errno));
	printf("listener O_NONBLOCK %d\n", nb(l));
	accept_waits(l, "after the refused dup3s");

	int l2 = socket(AF_INET, SOCK_STREAM, 0);
	int early = dup(l2);
	addr.sin_port = 0;
	bind(l2, (struct sockaddr *)&addr, sizeof addr);
	listen(l2, 4);
	al = sizeof addr;
	getsockname(l2, (struct sockaddr *)&addr, &al);
	printf("a dup made before listen, the listener: O_NONBLOCK %d %d\n", nb(l2), nb(early));
	fcntl(early, F_SETFL, fcntl(early, F_GETFL) & ~O_NONBLOCK);
	printf("after F_SETFL without O_NONBLOCK on the early dup: %d %d\n", nb(l2), nb(early));
	accept_waits(l2, "blocking through the early dup");
	fcntl(early, F_SETFL, O_NONBLOCK);
	r = accept(l2, NULL, NULL);
	printf("F_SETFL O_NONBLOCK on the early dup, accept on the listener: %d %s (%d %d)\n", r,
	       r < 0 ? ename(errno) : "", nb(l2), nb(early));
	tfail_flush();
	ticker_stop();
	return finish("listener_view");
}

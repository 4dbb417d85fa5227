/* daemon_shutdown: a thread-per-connection echo daemon that stops cleanly on SIGTERM.
 *
 * The shape of countless legacy servers: main loops `while (!stop) accept(...)`, one
 * thread per connection echoes lines, and a SIGTERM handler installed without SA_RESTART
 * sets `stop`. Nothing blocks the signal, as in most such daemons: for kill(pid) Linux
 * picks the main thread when it does not block the signal (kernel/signal.c,
 * complete_signal() tries the thread-group leader first), so accept() fails with EINTR
 * and the loop ends; the workers, blocked in read(), must not be interrupted. The
 * daemon then shutdown()s the connections still open (which wakes their blocked reads
 * with EOF), joins the workers, prints a summary and exits 0.
 *
 * The client is a forked child: it opens three connections, echoes lines on two of them
 * and closes them, leaves the third idle (its worker stays blocked in read), waits
 * 400 ms, sends SIGTERM to the daemon and expects EOF on the idle connection. Its exit
 * status says whether everything it saw was right.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#define MAXCONN 16

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

struct conn {
	int fd;
	pthread_t th;
	int lines, eintr, done;
};

static struct conn conns[MAXCONN];
static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	struct conn *c = arg;
	char buf[256];
	for (;;) {
		ssize_t r = read(c->fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR) {
			c->eintr++;
			continue;
		}
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			c->lines += buf[i] == '\n';
		if (write_all(c->fd, buf, (size_t)r))
			break;
	}
	pthread_mutex_lock(&conns_mu);
	c->done = 1;
	pthread_mutex_unlock(&conns_mu);
	return NULL;
}

/* The client child: returns its exit status, 0 when all went as expected. */
static int client(int port)
{
	int fds[3];
	for (int i = 0; i < 3; i++)
		if ((fds[i] = connect_lo(port)) < 0)
			return 10 + i;
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 5; k++) {
			char line[64], back[64];
			int n = snprintf(line, sizeof line, "conn %d line %d\n", i, k);
			if (write_all(fds[i], line, (size_t)n))
				return 20;
			if (read_full(fds[i], back, (size_t)n) != n || memcmp(line, back, (size_t)n))
				return 21;
		}
		close(fds[i]);
	}
	sleep_ms(400);
	if (kill(getppid(), SIGTERM))
		return 30;
	char c;
	ssize_t r = read(fds[2], &c, 1);
	if (r != 0)
		return 40;
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(30);
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	int port, l = listen_lo(&port);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(l);
		_exit(client(port));
	}
	ticker_start();

	int n = 0, accept_eintr = 0, accept_errors = 0;
	while (!stop) {
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				accept_eintr++;
			else
				accept_errors++;
			if (accept_errors > 10)
				break;
			continue;
		}
		if (n == MAXCONN) {
			close(fd);
			continue;
		}
		conns[n].fd = fd;
		pthread_create(&conns[n].th, NULL, worker, &conns[n]);
		n++;
	}
	close(l);

	int still_open = 0;
	pthread_mutex_lock(&conns_mu);
	for (int i = 0; i < n; i++) {
		if (!conns[i].done) {
			still_open++;
			shutdown(conns[i].fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&conns_mu);
	int lines = 0, worker_eintr = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(conns[i].th, NULL);
		close(conns[i].fd);
		lines += conns[i].lines;
		worker_eintr += conns[i].eintr;
	}
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);

	printf("stopped by SIGTERM: %s\n", stop ? "yes" : "no");
	printf("accept interrupted (EINTR): %d, other accept errors: %d\n", accept_eintr,
	       accept_errors);
	printf("connections: %d, still open at shutdown: %d, lines echoed: %d\n", n, still_open,
	       lines);
	printf("workers interrupted by the signal: %d\n", worker_eintr);
	printf("client: %s exit status %d\n", got == pid && WIFEXITED(st) ? "exited" : "FAILED",
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK(stop && accept_eintr == 1 && n == 3 && still_open == 1 && lines == 10 &&
		      worker_eintr == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "graceful shutdown did not go as a native run does");
	ticker_stop();
	return check_status();
}

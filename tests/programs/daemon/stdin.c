/* daemon_stdin: stdin/stdout as the connection, the inetd way.
 *
 * inetd-style services read requests from fd 0 and answer on fd 1, mostly through stdio.
 * Those descriptors are shared with the parent (here difftest), so DESIGN.md rule 4
 * applies: their file status flags must not change. This program:
 *   A. reads the file difftest passes with --stdin via getline(stdin) and echoes each
 *      line uppercased to stdout (a regular file: never blocks, must still work);
 *   B. dup2()s a pipe onto fd 0 (clearerr(stdin) so stdio reads on) while a writer thread
 *      feeds it one line every 350 ms: fgets(stdin) blocks between lines;
 *   C. dup2()s one end of a socketpair onto both fd 0 and fd 1 (exactly what inetd hands
 *      a service): getline(stdin)/fputs(stdout)/fflush against a client thread that sends
 *      slowly and collects the uppercased answers, then restores the real stdout;
 *   D. the same with plain read(0)/write(1) on a pipe, the way non-stdio services do it;
 *   and checks fcntl(0/1, F_GETFL) has no O_NONBLOCK at the end.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>

static void upcase(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)toupper((unsigned char)s[i]);
}

static const char *slow_lines[] = { "first slow line\n", "second: 2 + 2\n", "third and last\n" };

static void *slow_writer(void *arg)
{
	int fd = (int)(long)arg;
	for (int i = 0; i < 3; i++) {
		sleep_ms(350);
		write_all(fd, slow_lines[i], strlen(slow_lines[i]));
	}
	close(fd);
	return NULL;
}

static void part_a(void)
{
	printf("A: from --stdin file\n");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lines = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		upcase(line, (size_t)n);
		fputs(line, stdout);
		if (line[n - 1] != '\n')
			fputs("[no newline at EOF]\n", stdout);
		lines++;
	}
	free(line);
	printf("A: %d lines, feof=%d\n", lines, feof(stdin) != 0);
}

static void part_b(void)
{
	printf("B: pipe on stdin, fgets\n");
	int p[2];
	pipe2(p, O_CLOEXEC);
	CHECK(dup2(p[0], 0) == 0, "dup2 pipe onto stdin: %s", ename(errno));
	close(p[0]);
	clearerr(stdin);
	pthread_t w;
	pthread_create(&w, NULL, slow_writer, (void *)(long)p[1]);
	char buf[128];
	int lines = 0;
	while (fgets(buf, sizeof buf, stdin)) {
		upcase(buf, strlen(buf));
		fputs(buf, stdout);
		lines++;
	}
	pthread_join(w, NULL);
	printf("B: %d lines, feof=%d ferror=%d\n", lines, feof(stdin) != 0, ferror(stdin) != 0);
}

struct peer {
	int fd;
	char got[256];
	size_t len;
};

static int count_nl(const char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

static void *inetd_client(void *arg)
{
	struct peer *p = arg;
	for (int i = 0; i < 3; i++) {
		sleep_ms(350);
		write_all(p->fd, slow_lines[i], strlen(slow_lines[i]));
		while (count_nl(p->got, p->len) <= i && p->len < sizeof p->got) {
			ssize_t r = read(p->fd, p->got + p->len, sizeof p->got - p->len);
			if (r <= 0)
				break;
			p->len += (size_t)r;
		}
	}
	shutdown(p->fd, SHUT_WR);
	char extra[16];
	ssize_t r = read(p->fd, extra, sizeof extra);
	CHECK(r == 0, "inetd client: expected EOF after service ended, got %zd", r);
	close(p->fd);
	return NULL;
}

static void part_c(void)
{
	printf("C: socket on stdin and stdout, getline/fputs\n");
	fflush(stdout);
	int saved = dup(1);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	dup2(sv[0], 0);
	dup2(sv[0], 1);
	close(sv[0]);
	clearerr(stdin);
	struct peer peer = { .fd = sv[1] };
	pthread_t c;
	pthread_create(&c, NULL, inetd_client, &peer);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lines = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		upcase(line, (size_t)n);
		fputs(line, stdout);
		fflush(stdout);
		lines++;
	}
	free(line);
	dup2(saved, 1);
	close(saved);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	dup2(null, 0);
	close(null);
	pthread_join(c, NULL);
	printf("C: service saw %d lines; client got back:\n%.*s", lines, (int)peer.len, peer.got);
}

static void part_d(void)
{
	printf("D: pipe on stdin, read(0)/write(1)\n");
	fflush(stdout);
	int p[2];
	pipe2(p, O_CLOEXEC);
	dup2(p[0], 0);
	close(p[0]);
	pthread_t w;
	pthread_create(&w, NULL, slow_writer, (void *)(long)p[1]);
	char buf[128];
	ssize_t r;
	int reads = 0;
	while ((r = read(0, buf, sizeof buf)) > 0) {
		upcase(buf, (size_t)r);
		write_all(1, buf, (size_t)r);
		reads++;
	}
	CHECK(r == 0, "read(0): %s", ename(errno));
	pthread_join(w, NULL);
	printf("D: reads>=3: %s\n", reads >= 3 ? "yes" : "no");
}

int main(void)
{
	ticker_start();
	part_a();
	part_b();
	part_c();
	part_d();
	printf("fd0 O_NONBLOCK=%d fd1 O_NONBLOCK=%d\n", !!(fcntl(0, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(1, F_GETFL) & O_NONBLOCK));
	ticker_stop();
	return check_status();
}

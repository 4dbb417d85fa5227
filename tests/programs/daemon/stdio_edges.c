/* daemon_stdio_edges: the corners of stdio on pipes and sockets (shim/stdio.cc).
 *
 * Beyond daemon_stdio's line protocol: fscanf whose number arrives in two pieces
 * (its look-ahead byte must go back to the FILE); SO_RCVTIMEO ending fgets with
 * EAGAIN and the error flag; flockfile sections that sleep, from two threads;
 * printf's %m and %n; a 1 MiB fwrite to a socket whose reader starts late; the
 * putc_unlocked macro filling a 64 KiB setvbuf buffer; getline of a line longer
 * than the FILE buffer; fgets on a popen pipe; an "r+" socket FILE; fread of
 * whole items up to EOF; the getc_unlocked macro; a SIGALRM handler without
 * SA_RESTART interrupting fgets (EINTR); pthread_cancel of a thread blocked in
 * fgets, after which another thread reads the same FILE.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#define BIG (1 << 20)

struct slow { int fd; const char *a, *b; int close_after; };
static void *slow_writer(void *arg)
{
	struct slow *s = arg;
	write(s->fd, s->a, strlen(s->a));
	sleep_ms(400);
	write(s->fd, s->b, strlen(s->b));
	if (s->close_after) close(s->fd);
	return NULL;
}

static void part_scanf(void)
{
	int p[2]; pipe(p);
	struct slow s = { p[1], "12", "34 xyz\n 77", 1 };
	pthread_t t; pthread_create(&t, NULL, slow_writer, &s);
	FILE *f = fdopen(p[0], "r");
	int n = 0, m = 0; char w[16] = "";
	int r = fscanf(f, "%d %15s", &n, w);
	int c = fgetc(f);
	int r2 = fscanf(f, "%d", &m);
	int r3 = fscanf(f, "%d", &m);
	printf("scanf: r=%d n=%d w=%s next=%d r2=%d m=%d r3=%d eof=%d\n", r, n, w, c, r2, m, r3, feof(f) != 0);
	pthread_join(t, NULL);
	fclose(f);
}

static void part_rcvtimeo(void)
{
	int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = { 0, 200000 };
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	FILE *f = fdopen(sv[0], "r");
	char buf[32];
	errno = 0;
	char *r = fgets(buf, sizeof buf, f);
	printf("rcvtimeo: fgets=%s errno=%s ferror=%d\n", r ? "line" : "NULL", ename(errno), ferror(f) != 0);
	clearerr(f);
	write(sv[1], "late\n", 5);
	r = fgets(buf, sizeof buf, f);
	printf("rcvtimeo: then %s", r ? buf : "NULL\n");
	fclose(f); close(sv[1]);
}

static FILE *locked;
static void *locker(void *arg)
{
	const char *id = arg;
	for (int i = 0; i < 3; i++) {
		flockfile(locked);
		fprintf(locked, "%s1 ", id);
		sleep_ms(30);
		fprintf(locked, "%s2\n", id);
		fflush(locked);
		funlockfile(locked);
	}
	return NULL;
}
static void part_flockfile(void)
{
	int p[2]; pipe(p);
	locked = fdopen(p[1], "w");
	pthread_t a, b;
	pthread_create(&a, NULL, locker, "A");
	pthread_create(&b, NULL, locker, "B");
	pthread_join(a, NULL); pthread_join(b, NULL);
	fclose(locked);
	char buf[256]; ssize_t n = read_full(p[0], buf, sizeof buf - 1); buf[n > 0 ? n : 0] = 0;
	int bad = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (!(strlen(l) == 5 && l[0] == l[3] && l[1] == '1' && l[4] == '2')) bad++, printf("bad line: %s\n", l);
	printf("flockfile: bad=%d\n", bad);
	close(p[0]);
}

static void part_printf_misc(void)
{
	int n1 = 0;
	errno = ENOENT;
	printf("misc: %m%n|\n", &n1);
	printf("misc: n=%d %5.2f %s %c\n", n1, 3.14159, "str", 'x');
	int r = printf("misc: %.*s|%4000s|\n", 10, "0123456789abc", "") ;
	printf("misc: 4 KiB printf returned %d\n", r);
	errno = 0;
	fputs("misc: fputs\n", stdout);
	putchar('!'); putchar('\n');
	puts("misc: puts");
	printf("misc: errno after output %s\n", ename(errno));
}

static unsigned long sum(const unsigned char *p, size_t n) { unsigned long s = 0; for (size_t i = 0; i < n; i++) s = s * 131 + p[i]; return s; }

static int big_fd;
static void *big_reader(void *arg)
{
	unsigned long *out = arg;
	sleep_ms(400);
	unsigned char *b = malloc(BIG);
	ssize_t n = read_full(big_fd, b, BIG);
	*out = (n == BIG) ? sum(b, BIG) : 0;
	free(b);
	return NULL;
}
static void part_bigwrite(void)
{
	int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	big_fd = sv[1];
	unsigned long got = 0;
	pthread_t t; pthread_create(&t, NULL, big_reader, &got);
	unsigned char *b = malloc(BIG);
	for (int i = 0; i < BIG; i++) b[i] = (unsigned char)(i * 13 + (i >> 9));
	FILE *f = fdopen(sv[0], "w");
	size_t w = fwrite(b, 1, BIG, f);
	fflush(f);
	pthread_join(t, NULL);
	printf("bigwrite: fwrite=%zu match=%d\n", w, got == sum(b, BIG));
	fclose(f); close(sv[1]); free(b);
}

static void part_macro_bigbuf(void)
{
	int p[2]; pipe(p);
	big_fd = p[0];
	unsigned long got = 0;
	pthread_t t; pthread_create(&t, NULL, big_reader, &got);
	FILE *f = fdopen(p[1], "w");
	static char vbuf[65536];
	setvbuf(f, vbuf, _IOFBF, sizeof vbuf);
	unsigned char *b = malloc(BIG);
	for (int i = 0; i < BIG; i++) b[i] = (unsigned char)(i * 7 + (i >> 11));
	flockfile(f);
	for (int i = 0; i < BIG; i++) putc_unlocked(b[i], f);
	funlockfile(f);
	fflush(f);
	pthread_join(t, NULL);
	printf("macro: match=%d\n", got == sum(b, BIG));
	fclose(f); close(p[0]); free(b);
}

static void part_getline_long(void)
{
	int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	static char line[10001]; memset(line, 'L', 10000); line[9999] = '\n'; line[10000] = 0;
	struct slow s = { sv[1], line, "tail without newline", 1 };
	pthread_t t; pthread_create(&t, NULL, slow_writer, &s);
	FILE *f = fdopen(sv[0], "r");
	char *l = NULL; size_t cap = 0; ssize_t n;
	while ((n = getline(&l, &cap, f)) > 0)
		printf("getline: %zd bytes cap>=%d last=%d\n", n, cap >= (size_t)n + 1, l[n - 1]);
	printf("getline: end n=%zd eof=%d\n", n, feof(f) != 0);
	free(l);
	pthread_join(t, NULL);
	fclose(f);
}

static void part_popen(void)
{
	FILE *f = popen("printf 'a\\nb\\n'; sleep 0.4; echo c", "r");
	char buf[16];
	while (fgets(buf, sizeof buf, f)) printf("popen: %s", buf);
	printf("popen: status %d\n", pclose(f));
}

static void *echo_peer(void *arg)
{
	int fd = (int)(long)arg;
	char buf[64]; ssize_t n;
	sleep_ms(300);
	while ((n = read(fd, buf, sizeof buf)) > 0) write(fd, buf, n);
	close(fd);
	return NULL;
}
static void part_rplus(void)
{
	int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pthread_t t; pthread_create(&t, NULL, echo_peer, (void *)(long)sv[1]);
	FILE *f = fdopen(sv[0], "r+");
	fputs("ping\n", f);
	fflush(f);
	char buf[32];
	fgets(buf, sizeof buf, f);
	printf("r+: got %s", buf);
	fseek(f, 0, SEEK_CUR);
	fprintf(f, "pong %d\n", 2);
	fflush(f);
	fgets(buf, sizeof buf, f);
	printf("r+: got %s", buf);
	shutdown(sv[0], SHUT_WR);
	printf("r+: eof %d\n", fgetc(f));
	pthread_join(t, NULL);
	fclose(f);
}

static void part_fread_partial(void)
{
	int p[2]; pipe(p);
	struct slow s = { p[1], "abcdefg", "hij", 1 };
	pthread_t t; pthread_create(&t, NULL, slow_writer, &s);
	FILE *f = fdopen(p[0], "r");
	char buf[16] = "";
	size_t n = fread(buf, 3, 5, f);
	printf("fread: items=%zu buf=%s eof=%d\n", n, buf, feof(f) != 0);
	pthread_join(t, NULL);
	fclose(f);
}

static void part_getc_macro(void)
{
	int p[2]; pipe(p);
	struct slow s = { p[1], "xy", "z\n", 1 };
	pthread_t t; pthread_create(&t, NULL, slow_writer, &s);
	FILE *f = fdopen(p[0], "r");
	int c; char out[8]; int k = 0;
	flockfile(f);
	while ((c = getc_unlocked(f)) != EOF && k < 7) out[k++] = (char)c;
	funlockfile(f);
	out[k] = 0;
	printf("getc_unlocked: %s", out);
	pthread_join(t, NULL);
	fclose(f);
}

static FILE *cf;
static void cleanup(void *a) { (void)a; printf("cancel: cleanup ran\n"); }
static void *cancel_reader(void *arg)
{
	(void)arg;
	char buf[32];
	pthread_cleanup_push(cleanup, NULL);
	char *r = fgets(buf, sizeof buf, cf);
	printf("cancel: reader returned %s\n", r ? buf : "NULL");
	pthread_cleanup_pop(0);
	return NULL;
}
static void *second_reader(void *arg)
{
	(void)arg;
	char buf[32];
	char *r = fgets(buf, sizeof buf, cf);
	printf("cancel: second reader got %s", r ? buf : "NULL\n");
	return NULL;
}
static void part_cancel(void)
{
	int p[2]; pipe(p);
	cf = fdopen(p[0], "r");
	pthread_t t, w; void *ret;
	pthread_create(&t, NULL, cancel_reader, NULL);
	sleep_ms(200);
	pthread_create(&w, NULL, second_reader, NULL);
	sleep_ms(200);
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("cancel: join %s\n", ret == PTHREAD_CANCELED ? "canceled" : "returned");
	write(p[1], "data\n", 5);
	pthread_join(w, NULL);
	printf("cancel: ferror=%d\n", ferror(cf));
	fclose(cf); close(p[1]);
}

static void on_alarm(int s) { (void)s; }
static void part_eintr(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	int p[2]; pipe(p);
	FILE *f = fdopen(p[0], "r");
	alarm(1);
	char buf[16];
	errno = 0;
	char *r = fgets(buf, sizeof buf, f);
	printf("eintr: %s errno=%s ferror=%d\n", r ? "line" : "NULL", ename(errno), ferror(f) != 0);
	fclose(f); close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ticker_start();
	part_scanf();
	part_rcvtimeo();
	part_flockfile();
	part_printf_misc();
	part_bigwrite();
	part_macro_bigbuf();
	part_getline_long();
	part_popen();
	part_rplus();
	part_fread_partial();
	part_getc_macro();
	part_cancel();
	part_eintr();
	ticker_stop();
	return check_status();
}

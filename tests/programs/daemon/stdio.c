/* daemon_stdio: stdio streams on sockets and pipes, as legacy line-protocol daemons use them.
 *
 * glibc's stdio reads and writes through its internal __read/__write, never through
 * the PLT `read`/`write` symbols (DESIGN.md, known hard spots), so an interposer that only
 * hooks read() never sees fgets() on a socket block. This program pins down:
 *   1. a line protocol over fdopen()ed sockets: a server thread (one handler thread per
 *      connection) using getline/fread/fprintf/fflush against client threads using
 *      fprintf/fputs/fwrite/fgets/fscanf; fileno() gives back the socket; a client waits
 *      400 ms before its first request, so the server blocks in getline meanwhile;
 *   2. an unbuffered FILE (setvbuf _IONBF) mixed with plain read() on its fileno: glibc
 *      then reads one byte at a time, so fgets() consumes exactly one line and read()
 *      gets the rest (setvbuf(3));
 *   3. two threads writing whole lines to one FILE (a pipe, then a socket) whose reader
 *      starts 400 ms late so the writers block with the FILE lock held: flockfile(3)
 *      says each stdio call is atomic, so lines never interleave.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <pthread.h>

#define NCLIENTS 3
#define BLOB 20000

static int listener;

/* ---- part 1: line protocol ---- */

static unsigned checksum(const unsigned char *p, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static void *handler(void *arg)
{
	int fd = (int)(long)arg;
	FILE *in = fdopen(fd, "r");
	FILE *out = fdopen(dup(fd), "w");
	CHECK(in && out, "fdopen on socket");
	CHECK(fileno(in) == fd, "fileno(in) != socket fd");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		int a, b;
		size_t len;
		if (strncmp(line, "ECHO ", 5) == 0) {
			fputs(line + 5, out);
		} else if (sscanf(line, "ADD %d %d", &a, &b) == 2) {
			fprintf(out, "SUM %d\n", a + b);
		} else if (sscanf(line, "BLOB %zu", &len) == 1 && len <= BLOB) {
			unsigned char *buf = malloc(len);
			size_t got = fread(buf, 1, len, in);
			fprintf(out, "BLOB %zu %u\n", got, checksum(buf, got));
			free(buf);
		} else if (strcmp(line, "QUIT\n") == 0) {
			fprintf(out, "BYE\n");
			fflush(out);
			break;
		} else {
			fprintf(out, "ERR\n");
		}
		fflush(out);
	}
	free(line);
	fclose(out);
	fclose(in);
	return NULL;
}

static void *server(void *arg)
{
	(void)arg;
	pthread_t h[NCLIENTS];
	for (int i = 0; i < NCLIENTS; i++) {
		int c = accept(listener, NULL, NULL);
		CHECK(c >= 0, "accept: %s", ename(errno));
		pthread_create(&h[i], NULL, handler, (void *)(long)c);
	}
	for (int i = 0; i < NCLIENTS; i++)
		pthread_join(h[i], NULL);
	return NULL;
}

struct client {
	int id, port;
	char echo[64], bye[16];
	int sum;
	size_t blob_len;
	unsigned blob_sum, want_sum;
};

static void *client(void *arg)
{
	struct client *c = arg;
	int fd = connect_lo(c->port);
	FILE *in = fdopen(fd, "r");
	FILE *out = fdopen(dup(fd), "w");
	CHECK(fileno(out) != fd && fileno(in) == fd, "client fileno");
	if (c->id == 0)
		sleep_ms(400);
	fprintf(out, "ECHO hello from client %d\n", c->id);
	fflush(out);
	CHECK(fgets(c->echo, sizeof c->echo, in), "fgets echo");
	fputs("ADD ", out);
	fprintf(out, "%d %d\n", c->id * 100, 23);
	fflush(out);
	CHECK(fscanf(in, "SUM %d%*c", &c->sum) == 1, "fscanf sum");
	unsigned char *blob = malloc(BLOB);
	for (int i = 0; i < BLOB; i++)
		blob[i] = (unsigned char)(i * 7 + c->id);
	c->want_sum = checksum(blob, BLOB);
	fprintf(out, "BLOB %d\n", BLOB);
	CHECK(fwrite(blob, 1, BLOB, out) == BLOB, "fwrite blob");
	fflush(out);
	free(blob);
	CHECK(fscanf(in, "BLOB %zu %u%*c", &c->blob_len, &c->blob_sum) == 2, "fscanf blob");
	fputs("QUIT\n", out);
	fflush(out);
	CHECK(fgets(c->bye, sizeof c->bye, in), "fgets bye");
	char extra[8];
	CHECK(fgets(extra, sizeof extra, in) == NULL && feof(in), "expected EOF after BYE");
	fclose(out);
	fclose(in);
	return NULL;
}

static void part_protocol(void)
{
	int port;
	listener = listen_lo(&port);
	pthread_t srv, cl[NCLIENTS];
	struct client cs[NCLIENTS];
	pthread_create(&srv, NULL, server, NULL);
	for (int i = 0; i < NCLIENTS; i++) {
		memset(&cs[i], 0, sizeof cs[i]);
		cs[i].id = i;
		cs[i].port = port;
		pthread_create(&cl[i], NULL, client, &cs[i]);
	}
	for (int i = 0; i < NCLIENTS; i++)
		pthread_join(cl[i], NULL);
	pthread_join(srv, NULL);
	close(listener);
	for (int i = 0; i < NCLIENTS; i++) {
		printf("client %d: echo=%s", i, cs[i].echo);
		printf("client %d: sum=%d blob=%zu checksum %s bye=%s", i, cs[i].sum,
		       cs[i].blob_len, cs[i].blob_sum == cs[i].want_sum ? "ok" : "BAD", cs[i].bye);
		CHECK(cs[i].blob_sum == cs[i].want_sum, "client %d blob checksum", i);
	}
}

/* ---- part 2: unbuffered FILE mixed with read() ---- */

static int mix_wfd;

static void *mix_writer(void *arg)
{
	(void)arg;
	write_all(mix_wfd, "first line\nsecond", 17);
	sleep_ms(400);
	write_all(mix_wfd, " part\n", 6);
	close(mix_wfd);
	return NULL;
}

static void part_unbuffered(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	mix_wfd = sv[1];
	FILE *f = fdopen(sv[0], "r");
	CHECK(setvbuf(f, NULL, _IONBF, 0) == 0, "setvbuf");
	pthread_t w;
	pthread_create(&w, NULL, mix_writer, NULL);
	char line[64] = "";
	CHECK(fgets(line, sizeof line, f), "fgets unbuffered");
	printf("unbuffered fgets: %s", line);
	int c = fgetc(f);
	printf("unbuffered fgetc: %c\n", c);
	char rest[64];
	ssize_t n = read_full(fileno(f), rest, sizeof rest - 1);
	rest[n < 0 ? 0 : n] = 0;
	printf("read() after stdio: %zd bytes: %s", n, rest);
	pthread_join(w, NULL);
	fclose(f);
}

/* ---- part 3: two writers sharing one FILE ---- */

#define LINES 3000
#define PAYLOAD 90

static FILE *shared;

static void *line_writer(void *arg)
{
	int id = (int)(long)arg;
	char pay[PAYLOAD + 1];
	memset(pay, 'a' + id, PAYLOAD);
	pay[PAYLOAD] = 0;
	for (int i = 0; i < LINES; i++) {
		if (id == 0) {
			fprintf(shared, "T%d %04d %s\n", id, i, pay);
		} else {
			char buf[128];
			int len = snprintf(buf, sizeof buf, "T%d %04d %s\n", id, i, pay);
			fwrite(buf, 1, (size_t)len, shared);
		}
	}
	return NULL;
}

static void *closer(void *arg)
{
	pthread_t *w = arg;
	pthread_join(w[0], NULL);
	pthread_join(w[1], NULL);
	fclose(shared);
	return NULL;
}

/* Reads whole lines until EOF and checks each is intact and in per-writer order. */
static void part_shared_file(const char *kind, int rfd, int wfd)
{
	shared = fdopen(wfd, "w");
	pthread_t w[2], cl;
	for (long i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, line_writer, (void *)i);
	pthread_create(&cl, NULL, closer, w);
	sleep_ms(400);
	int next[2] = { 0, 0 }, torn = 0;
	char buf[8192];
	size_t have = 0;
	for (;;) {
		ssize_t r = read(rfd, buf + have, sizeof buf - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			int id, seq, len = (int)(nl - start);
			if (len == 8 + PAYLOAD && sscanf(start, "T%d %d", &id, &seq) == 2 &&
			    id >= 0 && id <= 1 && seq == next[id] &&
			    strspn(start + 8, id ? "b" : "a") == PAYLOAD)
				next[id]++;
			else
				torn++;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
	}
	pthread_join(cl, NULL);
	printf("%s: lines from T0=%d T1=%d torn=%d leftover=%zu\n", kind, next[0], next[1], torn,
	       have);
	CHECK(next[0] == LINES && next[1] == LINES && !torn && !have,
	      "%s: two writers on one FILE interleaved within a line", kind);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ticker_start();
	part_protocol();
	part_unbuffered();
	int p[2];
	pipe2(p, O_CLOEXEC);
	part_shared_file("pipe", p[0], p[1]);
	close(p[0]);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	part_shared_file("socket", sv[0], sv[1]);
	close(sv[0]);
	ticker_stop();
	return check_status();
}

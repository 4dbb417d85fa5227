/*
 * cpu_load: drives bench/cpu_server. N connections, one request in flight
 * each, from one epoll thread (so the client costs little CPU beside the
 * server); connection i asks for W microseconds of work, or 8 W when
 * --skew and i % 4 == 0 (a quarter of the connections eight times heavier).
 *
 * usage: cpu_load --port P --conns N --work-us W [--skew] [--seconds S] [--warmup S]
 * prints one line:
 *   rps R p50_us A p99_us B fairness F
 * F: the spread of completed requests per connection among connections of
 * the same weight, stddev / mean (0 = every connection served alike).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

struct conn {
	int fd;
	long work;
	long sent_at;
	long done;
	char req[32];
	int req_len;
};

static double spread(const struct conn *c, int n, int heavy_group, int skew)
{
	double sum = 0, sq = 0;
	int k = 0;
	for (int i = 0; i < n; i++) {
		int heavy = skew && i % 4 == 0;
		if (heavy != heavy_group)
			continue;
		sum += (double)c[i].done;
		k++;
	}
	if (k < 2 || sum == 0)
		return 0;
	double mean = sum / k;
	for (int i = 0; i < n; i++) {
		int heavy = skew && i % 4 == 0;
		if (heavy == heavy_group)
			sq += ((double)c[i].done - mean) * ((double)c[i].done - mean);
	}
	return sqrt(sq / k) / mean;
}

int main(int argc, char **argv)
{
	int port = 0, conns = 8, skew = 0;
	long work = 200;
	double seconds = 5, warmup = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--conns") && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--work-us") && i + 1 < argc)
			work = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			warmup = atof(argv[++i]);
		else if (!strcmp(argv[i], "--skew"))
			skew = 1;
		else {
			fprintf(stderr, "usage: cpu_load --port P --conns N --work-us W [--skew] [--seconds S] [--warmup S]\n");
			return 2;
		}
	}
	struct conn *c = calloc((size_t)conns, sizeof *c);
	int ep = epoll_create1(0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (int i = 0; i < conns; i++) {
		c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c[i].fd, (struct sockaddr *)&a, sizeof a) != 0) {
			perror("cpu_load: connect");
			return 1;
		}
		int one = 1;
		setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c[i].work = skew && i % 4 == 0 ? 8 * work : work;
		c[i].req_len = snprintf(c[i].req, sizeof c[i].req, "%ld\n", c[i].work);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
	}
	size_t cap = 1 << 20, nlat = 0;
	long *lat = malloc(cap * sizeof *lat);
	long t_start = now_ns(), t_measure = t_start + (long)(warmup * 1e9),
	     t_end = t_measure + (long)(seconds * 1e9);
	for (int i = 0; i < conns; i++) {
		c[i].sent_at = now_ns();
		if (write(c[i].fd, c[i].req, (size_t)c[i].req_len) != c[i].req_len)
			return 1;
	}
	long reqs = 0;
	struct epoll_event evs[64];
	while (now_ns() < t_end) {
		int n = epoll_wait(ep, evs, 64, 100);
		long t = now_ns();
		for (int k = 0; k < n; k++) {
			struct conn *x = &c[evs[k].data.u32];
			char buf[64];
			ssize_t r = read(x->fd, buf, sizeof buf);
			if (r <= 0) {
				fprintf(stderr, "cpu_load: server closed a connection\n");
				return 1;
			}
			int replies = 0;
			for (ssize_t j = 0; j < r; j++)
				replies += buf[j] == '\n';
			if (!replies)
				continue;
			if (t >= t_measure) {
				reqs++;
				x->done++;
				if (nlat < cap)
					lat[nlat++] = t - x->sent_at;
			}
			x->sent_at = t;
			if (write(x->fd, x->req, (size_t)x->req_len) != x->req_len)
				return 1;
		}
	}
	qsort(lat, nlat, sizeof *lat, cmp_long);
	double f = spread(c, conns, 0, skew);
	if (skew) {
		double fh = spread(c, conns, 1, skew);
		if (fh > f)
			f = fh;
	}
	printf("rps %.0f p50_us %ld p99_us %ld fairness %.3f\n", (double)reqs / seconds,
	       nlat ? lat[nlat / 2] / 1000 : 0, nlat ? lat[nlat * 99 / 100] / 1000 : 0, f);
	return 0;
}

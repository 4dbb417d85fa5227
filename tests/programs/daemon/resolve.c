/* daemon_resolve: name-service calls from several threads at once.
 *
 * getaddrinfo, gethostbyname, getpwnam_r and friends go through NSS, which reads files
 * (and may load modules, open sockets to nscd/systemd) with glibc-internal I/O that no
 * read() interposer sees; a green runtime has to offload them (DESIGN.md: offload) and
 * they must give the same answers. Four threads run the same set of lookups
 * concurrently; the results must agree across threads and only deterministic facts are
 * printed (numeric addresses, names from /etc/hosts and /etc/passwd, EAI_* codes).
 * Every lookup is answered by the "files" NSS source or needs no lookup at all
 * (AI_NUMERICHOST / NI_NUMERICHOST), so nothing goes to DNS: this machine has no
 * network, and a DNS timeout would make the run slow and its result depend on the
 * resolver configuration. gethostbyname/gethostbyaddr/getpwnam/getgrgid return static
 * storage, so callers serialise them with a mutex, as a correct threaded program must.
 * errno and h_errno are per thread: a failed lookup's codes are read right after it
 * (a runtime that runs the lookup on another thread must hand them back).
 */
#include "check.h"
#include "ticker.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>

#define NTHREADS 4
#define ROUNDS 20

static pthread_mutex_t nonreentrant = PTHREAD_MUTEX_INITIALIZER;

static const char *eai_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_NODATA: return "EAI_NODATA";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	default: return "EAI_other";
	}
}

static void gai(char *out, size_t cap, const char *host, const char *serv, int flags)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = flags };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, serv, &hints, &res);
	int n = snprintf(out, cap, "getaddrinfo(%s, %s): %s", host, serv ? serv : "NULL", eai_name(rc));
	for (struct addrinfo *ai = res; ai && n < (int)cap; ai = ai->ai_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
		n += snprintf(out + n, cap - (size_t)n, " %s:%d", a, ntohs(sin->sin_port));
	}
	if (res)
		freeaddrinfo(res);
}

static void gni(char *out, size_t cap, int flags, const char *what)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	char host[256] = "", serv[32] = "";
	int rc = getnameinfo((struct sockaddr *)&sin, sizeof sin, host, sizeof host, serv, sizeof serv,
			     flags);
	snprintf(out, cap, "getnameinfo(127.0.0.1:8080, %s): %s host=%s serv=%s", what, eai_name(rc),
		 host, serv);
}

static void ghbn(char *out, size_t cap)
{
	pthread_mutex_lock(&nonreentrant);
	struct hostent *h = gethostbyname("localhost");
	char a[INET_ADDRSTRLEN] = "-";
	if (h && h->h_addrtype == AF_INET && h->h_addr_list[0])
		inet_ntop(AF_INET, h->h_addr_list[0], a, sizeof a);
	snprintf(out, cap, "gethostbyname(localhost): %s addr=%s len=%d", h ? "ok" : "NULL", a,
		 h ? h->h_length : 0);
	pthread_mutex_unlock(&nonreentrant);
}

static void ghbn_r(char *out, size_t cap)
{
	struct hostent he, *h = NULL;
	char buf[2048];
	int herr = 0;
	int rc = gethostbyname_r("localhost", &he, buf, sizeof buf, &h, &herr);
	char a[INET_ADDRSTRLEN] = "-";
	if (h)
		inet_ntop(AF_INET, h->h_addr_list[0], a, sizeof a);
	snprintf(out, cap, "gethostbyname_r(localhost): rc=%d %s addr=%s name=%s", rc,
		 h ? "ok" : "NULL", a, h ? h->h_name : "-");
}

static void ghba(char *out, size_t cap)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	pthread_mutex_lock(&nonreentrant);
	struct hostent *h = gethostbyaddr(&lo, sizeof lo, AF_INET);
	snprintf(out, cap, "gethostbyaddr(127.0.0.1): %s name=%s", h ? "ok" : "NULL",
		 h ? h->h_name : "-");
	pthread_mutex_unlock(&nonreentrant);
}

static void ghbn2_bad_family(char *out, size_t cap)
{
	h_errno = 12345;
	errno = 0;
	struct hostent *h = gethostbyname2("localhost", AF_UNIX);
	int herr = h_errno, e = errno;
	snprintf(out, cap, "gethostbyname2(localhost, AF_UNIX): %s h_errno=%d errno=%s",
		 h ? "ok" : "NULL", herr, ename(e));
}

static void nonreentrant_pw_gr(char *out, size_t cap)
{
	pthread_mutex_lock(&nonreentrant);
	struct passwd *p = getpwnam("root");
	int n = snprintf(out, cap, "getpwnam(root): %s uid=%d", p ? p->pw_name : "NULL",
			 p ? (int)p->pw_uid : -1);
	struct group *g = getgrgid(0);
	n += snprintf(out + n, cap - (size_t)n, "; getgrgid(0): %s", g ? g->gr_name : "NULL");
	errno = 0;
	p = getpwuid(4000000000u);
	snprintf(out + n, cap - (size_t)n, "; getpwuid(4000000000): %s errno=%s",
		 p ? "found" : "NULL", ename(errno));
	pthread_mutex_unlock(&nonreentrant);
}

static void pw(char *out, size_t cap)
{
	struct passwd pwd, *p = NULL, pwd2, *p2 = NULL;
	char buf[4096], buf2[4096], buf3[4096];
	int rc = getpwnam_r("root", &pwd, buf, sizeof buf, &p);
	int rc2 = getpwuid_r(0, &pwd2, buf2, sizeof buf2, &p2);
	struct passwd pwd3, *p3 = (struct passwd *)1;
	int rc3 = getpwnam_r("no_such_user_daemon_test", &pwd3, buf3, sizeof buf3, &p3);
	snprintf(out, cap,
		 "getpwnam_r(root): %s uid=%d gid=%d dir=%s; getpwuid_r(0): %s name=%s; "
		 "getpwnam_r(missing): rc=%s result=%s",
		 ename(rc), p ? (int)p->pw_uid : -1, p ? (int)p->pw_gid : -1, p ? p->pw_dir : "-",
		 ename(rc2), p2 ? p2->pw_name : "-", ename(rc3), p3 ? "non-NULL" : "NULL");
}

static void gr(char *out, size_t cap)
{
	struct group grp, *g = NULL;
	char buf[4096];
	int rc = getgrnam_r("root", &grp, buf, sizeof buf, &g);
	snprintf(out, cap, "getgrnam_r(root): %s gid=%d name=%s", ename(rc), g ? (int)g->gr_gid : -1,
		 g ? g->gr_name : "-");
}

#define NRES 12
#define RESLEN 256

struct worker {
	char res[NRES][RESLEN];
	int mismatches;
};

static void run_all(char res[NRES][RESLEN])
{
	gai(res[0], RESLEN, "localhost", "80", 0);
	gai(res[1], RESLEN, "127.0.0.1", "8080", AI_NUMERICHOST | AI_NUMERICSERV);
	gai(res[2], RESLEN, "nonexistent.invalid", "80", AI_NUMERICHOST);
	gai(res[3], RESLEN, "127.0.0.1", "not-a-port", AI_NUMERICSERV);
	gni(res[4], RESLEN, NI_NUMERICHOST | NI_NUMERICSERV, "NI_NUMERICHOST|NI_NUMERICSERV");
	gni(res[5], RESLEN, NI_NUMERICSERV, "NI_NUMERICSERV");
	ghbn(res[6], RESLEN);
	ghbn_r(res[7], RESLEN);
	ghba(res[8], RESLEN);
	size_t n = 0;
	pw(res[9], RESLEN);
	n = strlen(res[9]);
	if (n + 2 < RESLEN) {
		res[9][n++] = ';';
		res[9][n++] = ' ';
		gr(res[9] + n, RESLEN - n);
	}
	ghbn2_bad_family(res[10], RESLEN);
	nonreentrant_pw_gr(res[11], RESLEN);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	run_all(w->res);
	char again[NRES][RESLEN];
	for (int r = 1; r < ROUNDS; r++) {
		run_all(again);
		for (int i = 0; i < NRES; i++)
			w->mismatches += strcmp(again[i], w->res[i]) != 0;
	}
	return NULL;
}

int main(void)
{
	ticker_start();
	static struct worker ws[NTHREADS];
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, &ws[i]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NRES; i++)
		printf("%s\n", ws[0].res[i]);
	for (int k = 0; k < NTHREADS; k++) {
		CHECK(ws[k].mismatches == 0, "thread %d: results changed between rounds", k);
		for (int i = 0; i < NRES; i++)
			CHECK(strcmp(ws[k].res[i], ws[0].res[i]) == 0, "thread %d differs: %s", k,
			      ws[k].res[i]);
	}
	CHECK(strstr(ws[0].res[0], " 127.0.0.1:80"), "localhost did not resolve to 127.0.0.1");
	CHECK(strstr(ws[0].res[2], "EAI_NONAME"), "numeric-only lookup of a name: want EAI_NONAME");
	CHECK(strstr(ws[0].res[9], "uid=0 gid=0"), "root is not uid 0");
	printf("%d threads x %d rounds agree\n", NTHREADS, ROUNDS);
	ticker_stop();
	return check_status();
}

/* msg.c: sendto/recvfrom, sendmsg/recvmsg, sendmmsg/recvmmsg and MSG_ flags.
 *
 * Pins down: on UDP loopback sendmmsg sends every message and recvmmsg
 * returns them with per-message lengths and source addresses; a blocking
 * recvmmsg waits until vlen datagrams came (sent 500 ms later by a thread),
 * with MSG_WAITFORONE only for the first one;
 * MSG_TRUNC in msg_flags when a datagram is cut, and the flag MSG_TRUNC
 * returning the real length; MSG_PEEK leaves data queued; MSG_WAITALL on a
 * stream socket waits for the full count while the sender trickles it;
 * MSG_DONTWAIT returns EAGAIN on a blocking socket; SCM_RIGHTS passes an fd
 * through sendmsg/recvmsg. Under libgreen these calls are parked and
 * retried: flags, ancillary data and counts must come through unchanged.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <sys/uio.h>

static int udp_socket(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	*a = (struct sockaddr_in){ .sin_family = AF_INET };
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *a;
	bind(fd, (struct sockaddr *)a, sizeof *a);
	getsockname(fd, (struct sockaddr *)a, &len);
	return fd;
}

struct mm_job {
	int fd;
	struct sockaddr_in to;
	int sent;
};

static void *mm_sender(void *arg)
{
	struct mm_job *j = arg;
	sleep_ms(500);
	static char d[3][100];
	struct mmsghdr m[3];
	struct iovec iov[3];
	memset(m, 0, sizeof m);
	for (int i = 0; i < 3; i++) {
		memset(d[i], 'a' + i, sizeof d[i]);
		iov[i] = (struct iovec){ d[i], (size_t)(10 * (i + 1)) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &j->to;
		m[i].msg_hdr.msg_namelen = sizeof j->to;
	}
	j->sent = sendmmsg(j->fd, m, 3, 0);
	return NULL;
}

static void test_udp(void)
{
	struct sockaddr_in a, b;
	int sa = udp_socket(&a), sb = udp_socket(&b);
	char buf[2048];

	/* sendto / recvfrom with the source address. */
	EXPECT_RC("sendto", sendto(sa, "ping", 4, 0, (struct sockaddr *)&b, sizeof b), 4);
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	EXPECT_RC("recvfrom", recvfrom(sb, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 4);
	printf("recvfrom source is the sender: %s, addrlen %u\n", from.sin_port == a.sin_port ? "yes" : "no", flen);

	/* sendmmsg: 5 datagrams of different sizes. */
	struct mmsghdr m[8];
	struct iovec iov[8];
	static char data[5][1500];
	memset(m, 0, sizeof m);
	for (int i = 0; i < 5; i++) {
		memset(data[i], '0' + i, sizeof data[i]);
		iov[i] = (struct iovec){ data[i], (size_t)(1 + i * 300) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &b;
		m[i].msg_hdr.msg_namelen = sizeof b;
	}
	EXPECT_RC("sendmmsg 5", sendmmsg(sa, m, 5, 0), 5);
	printf("sendmmsg msg_len: %u %u %u %u %u\n", m[0].msg_len, m[1].msg_len, m[2].msg_len, m[3].msg_len,
	       m[4].msg_len);

	/* recvmmsg with room for 8: gets the 5 queued. */
	static char rbuf[8][2000];
	struct sockaddr_in src[8];
	memset(m, 0, sizeof m);
	for (int i = 0; i < 8; i++) {
		iov[i] = (struct iovec){ rbuf[i], sizeof rbuf[i] };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &src[i];
		m[i].msg_hdr.msg_namelen = sizeof src[i];
	}
	EXPECT_RC("recvmmsg MSG_DONTWAIT, 5 queued", recvmmsg(sb, m, 8, MSG_DONTWAIT, NULL), 5);
	int srcok = 0, dataok = 0;
	for (int i = 0; i < 5; i++) {
		srcok += src[i].sin_port == a.sin_port;
		dataok += rbuf[i][0] == '0' + i && rbuf[i][m[i].msg_len - 1] == '0' + i;
	}
	printf("recvmmsg msg_len: %u %u %u %u %u, sources ok %d, data ok %d\n", m[0].msg_len, m[1].msg_len,
	       m[2].msg_len, m[3].msg_len, m[4].msg_len, srcok, dataok);
	EXPECT_ERR("recvmmsg MSG_DONTWAIT, empty", recvmmsg(sb, m, 8, MSG_DONTWAIT, NULL), EAGAIN);

	/* Blocking recvmmsg + MSG_WAITFORONE, datagrams arrive later in one sendmmsg. */
	struct mm_job job = { sa, b, 0 };
	pthread_t t;
	pthread_create(&t, NULL, mm_sender, &job);
	for (int i = 0; i < 8; i++)
		m[i].msg_hdr.msg_namelen = sizeof src[i];
	long t0 = now_ns();
	int n = recvmmsg(sb, m, 3, 0, NULL);
	long ms = ms_since(t0);
	pthread_join(t, NULL);
	printf("blocking recvmmsg vlen 3: %d (%u %u %u bytes), sender sent %d\n", n, m[0].msg_len, m[1].msg_len,
	       m[2].msg_len, job.sent);
	CHECK(ms >= 490, "recvmmsg returned after %ld ms", ms);

	/* MSG_WAITFORONE: blocks for the first datagram only, then takes what is queued. */
	sendto(sa, "one", 3, 0, (struct sockaddr *)&b, sizeof b);
	sendto(sa, "two", 3, 0, (struct sockaddr *)&b, sizeof b);
	for (int i = 0; i < 8; i++)
		m[i].msg_hdr.msg_namelen = sizeof src[i];
	EXPECT_RC("recvmmsg MSG_WAITFORONE, 2 queued, vlen 8", recvmmsg(sb, m, 8, MSG_WAITFORONE, NULL), 2);

	/* Truncation. */
	sendto(sa, data[4], 1000, 0, (struct sockaddr *)&b, sizeof b);
	struct iovec small = { buf, 100 };
	struct msghdr mh = { .msg_iov = &small, .msg_iovlen = 1 };
	EXPECT_RC("recvmsg into 100 bytes", recvmsg(sb, &mh, 0), 100);
	printf("msg_flags has MSG_TRUNC: %s\n", mh.msg_flags & MSG_TRUNC ? "yes" : "no");
	sendto(sa, data[4], 1000, 0, (struct sockaddr *)&b, sizeof b);
	EXPECT_RC("recv MSG_TRUNC returns real length", recv(sb, buf, 100, MSG_TRUNC), 1000);
	sendto(sa, data[1], 50, 0, (struct sockaddr *)&b, sizeof b);
	EXPECT_RC("recv MSG_PEEK on udp", recv(sb, buf, sizeof buf, MSG_PEEK), 50);
	EXPECT_RC("recv after peek", recv(sb, buf, sizeof buf, 0), 50);

	/* sendmsg with a gather list. */
	struct iovec g[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
	mh = (struct msghdr){ .msg_name = &b, .msg_namelen = sizeof b, .msg_iov = g, .msg_iovlen = 3 };
	EXPECT_RC("sendmsg 3 pieces", sendmsg(sa, &mh, 0), 6);
	memset(buf, 0, sizeof buf);
	EXPECT_RC("one datagram", recv(sb, buf, sizeof buf, 0), 6);
	printf("datagram: %s\n", buf);
	close(sa);
	close(sb);
}

static void *trickle(void *arg)
{
	int fd = *(int *)arg;
	char chunk[100];
	for (int i = 0; i < 10; i++) {
		memset(chunk, 'A' + i, sizeof chunk);
		sleep_ms(50);
		if (write(fd, chunk, sizeof chunk) != sizeof chunk)
			tfail("trickle write: %s", ename(errno));
	}
	return NULL;
}

static void test_stream(void)
{
	int c, s;
	tcp_pair(&c, &s);
	char buf[1200];
	EXPECT_ERR("recv MSG_DONTWAIT empty", recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	write(c, "peekaboo", 8);
	sleep_ms(20);
	EXPECT_RC("recv MSG_PEEK", recv(s, buf, 4, MSG_PEEK), 4);
	EXPECT_RC("recv MSG_PEEK again", recv(s, buf, sizeof buf, MSG_PEEK), 8);
	EXPECT_RC("recv after peeking", recv(s, buf, sizeof buf, 0), 8);

	pthread_t t;
	pthread_create(&t, NULL, trickle, &c);
	long t0 = now_ns();
	EXPECT_RC("recv MSG_WAITALL 1000 while sender trickles", recv(s, buf, 1000, MSG_WAITALL), 1000);
	long ms = ms_since(t0);
	pthread_join(t, NULL);
	int ok = 1;
	for (int i = 0; i < 1000; i++)
		ok &= buf[i] == 'A' + i / 100;
	printf("MSG_WAITALL data in order: %s\n", ok ? "yes" : "no");
	CHECK(ms >= 400, "MSG_WAITALL returned after %ld ms", ms);

	/* MSG_WAITALL stops early at EOF. */
	write(c, "xyz", 3);
	shutdown(c, SHUT_WR);
	EXPECT_RC("recv MSG_WAITALL 100 with 3 bytes then EOF", recv(s, buf, 100, MSG_WAITALL), 3);
	close(c);
	close(s);
}

static void test_scm_rights(void)
{
	int sv[2], pf[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pf);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	memset(&cm, 0, sizeof cm);
	struct iovec iov = { "F", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &pf[1], sizeof(int));
	EXPECT_RC("sendmsg SCM_RIGHTS", sendmsg(sv[0], &mh, 0), 1);

	char c;
	iov = (struct iovec){ &c, 1 };
	memset(&cm, 0, sizeof cm);
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
	EXPECT_RC("recvmsg SCM_RIGHTS", recvmsg(sv[1], &mh, 0), 1);
	h = CMSG_FIRSTHDR(&mh);
	int fd = -1;
	if (h && h->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(h), sizeof fd);
	printf("received an fd: %s\n", fd >= 0 ? "yes" : "no");
	if (fd >= 0) {
		EXPECT_RC("write through received fd", write(fd, "via", 3), 3);
		char buf[4] = { 0 };
		read(pf[0], buf, 3);
		printf("pipe got: %s\n", buf);
		close(fd);
	}
	close(pf[0]);
	close(pf[1]);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	alarm(30);
	ticker_start();
	test_udp();
	test_stream();
	test_scm_rights();
	tfail_flush();
	ticker_stop();
	return finish("io_msg");
}

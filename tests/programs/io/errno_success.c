/* errno_success: a call that succeeds leaves errno as the program had it, even
 * when it had to wait first (natively the kernel call simply blocked; under
 * libgreen an attempt said EAGAIN, the thread parked, and the call was retried).
 * Each case sets errno = 1234, makes a call that must wait for a helper thread
 * (about 50 ms), and prints the result and errno afterwards.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

struct later {
	void (*fn)(void *);
	void *arg;
	long ms;
};

static void *later_main(void *p)
{
	struct later *l = p;
	sleep_ms(l->ms);
	l->fn(l->arg);
	return NULL;
}

static pthread_t later_start(struct later *l)
{
	pthread_t t;
	pthread_create(&t, NULL, later_main, l);
	return t;
}

static void show(const char *what, long rc)
{
	int e = errno;
	printf("%s: %ld, errno %d\n", what, rc, e);
	if (e != 1234)
		FAIL("%s: errno %d (%s), expected 1234 untouched", what, e, ename(e));
}

static void do_write1(void *arg)
{
	if (write(*(int *)arg, "x", 1) != 1)
		tfail("helper write");
}

static void do_drain(void *arg)
{
	char buf[65536];
	int fd = *(int *)arg;
	while (read(fd, buf, sizeof buf) == (ssize_t)sizeof buf)
		;
}

static void do_connect(void *arg)
{
	struct sockaddr_in *a = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)a, sizeof *a) < 0)
		tfail("helper connect");
	/* leaked until exit: the accepted side stays connected */
}

static void do_unflock(void *arg)
{
	flock(*(int *)arg, LOCK_UN);
}

static int fifo_reader = -1;

static void do_open_reader(void *arg)
{
	fifo_reader = open(arg, O_RDONLY | O_NONBLOCK);
}

static void do_post(void *arg)
{
	sem_post(arg);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;

static void do_signal(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	flag = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static void do_unlock(void *arg)
{
	(void)arg;
	pthread_mutex_unlock(&mu);
}

static void *lock_then_unlock_later(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	__atomic_store_n(&flag, 2, __ATOMIC_SEQ_CST);
	sleep_ms(50);
	do_unlock(NULL);
	return NULL;
}

/* A full pipe: returns the write end of a pipe whose buffer is full. */
static void full_pipe(int p[2])
{
	if (pipe(p) < 0)
		exit(2);
	int fl = fcntl(p[1], F_GETFL);
	fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
	char buf[4096] = { 0 };
	while (write(p[1], buf, sizeof buf) > 0)
		;
	fcntl(p[1], F_SETFL, fl);
}

int main(void)
{
	check_init(30);
	ticker_start();
	char buf[8];
	int p[2];

	/* read on a pipe */
	if (pipe(p) < 0)
		return 2;
	struct later l = { do_write1, &p[1], 50 };
	pthread_t t = later_start(&l);
	errno = 1234;
	long rc = read(p[0], buf, sizeof buf);
	show("read pipe", rc);
	pthread_join(t, NULL);

	/* poll, select, epoll_wait on a pipe */
	struct pollfd pfd = { p[0], POLLIN, 0 };
	t = later_start(&l);
	errno = 1234;
	rc = poll(&pfd, 1, 5000);
	show("poll", rc);
	pthread_join(t, NULL);
	read(p[0], buf, sizeof buf);

	t = later_start(&l);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = { 5, 0 };
	errno = 1234;
	rc = select(p[0] + 1, &rs, NULL, NULL, &tv);
	show("select", rc);
	pthread_join(t, NULL);
	read(p[0], buf, sizeof buf);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	t = later_start(&l);
	errno = 1234;
	rc = epoll_wait(ep, &ev, 1, 5000);
	show("epoll_wait", rc);
	pthread_join(t, NULL);
	read(p[0], buf, sizeof buf);
	close(ep);

	/* stdio on a pipe */
	FILE *f = fdopen(dup(p[0]), "r");
	t = later_start(&l);
	errno = 1234;
	rc = fgetc(f);
	show("fgetc pipe", rc);
	pthread_join(t, NULL);
	fclose(f);
	close(p[0]);
	close(p[1]);

	/* write on a full pipe */
	full_pipe(p);
	struct later drain = { do_drain, &p[0], 50 };
	t = later_start(&drain);
	errno = 1234;
	rc = write(p[1], buf, 1);
	show("write full pipe", rc);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);

	/* sendfile and splice into a full pipe */
	char path[] = "/tmp/errno_success_XXXXXX";
	int file = mkstemp(path);
	unlink(path);
	if (file < 0 || write(file, "hello", 5) != 5)
		return 2;
	full_pipe(p);
	t = later_start(&drain);
	off_t off = 0;
	errno = 1234;
	rc = sendfile(p[1], file, &off, 5);
	show("sendfile to full pipe", rc);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);

	full_pipe(p);
	t = later_start(&drain);
	loff_t loff = 0;
	errno = 1234;
	rc = splice(file, &loff, p[1], NULL, 5, 0);
	show("splice to full pipe", rc);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);

	/* regular file read, to end of file */
	errno = 1234;
	rc = pread(file, buf, sizeof buf, 0);
	show("pread file", rc);
	errno = 1234;
	rc = read(file, buf, sizeof buf);
	show("read file at EOF", rc);
	/* not in the page cache: libgreen's RWF_NOWAIT try fails, the pool reads */
	fdatasync(file);
	posix_fadvise(file, 0, 0, POSIX_FADV_DONTNEED);
	errno = 1234;
	rc = pread(file, buf, sizeof buf, 0);
	show("pread file, not cached", rc);
	close(file);
	/* proc: no RWF_NOWAIT there */
	int proc = open("/proc/self/stat", O_RDONLY);
	errno = 1234;
	rc = read(proc, buf, sizeof buf);
	show("read /proc/self/stat", rc);
	close(proc);

	/* flock held by another description of the same file */
	char lpath[] = "/tmp/errno_success_lock_XXXXXX";
	int l1 = mkstemp(lpath);
	int l2 = open(lpath, O_RDWR);
	unlink(lpath);
	flock(l1, LOCK_EX);
	struct later unl = { do_unflock, &l1, 50 };
	t = later_start(&unl);
	errno = 1234;
	rc = flock(l2, LOCK_EX);
	show("flock", rc);
	pthread_join(t, NULL);
	close(l1);
	close(l2);

	/* a FIFO opened for writing waits for a reader */
	char dir[] = "/tmp/errno_success_fifo_XXXXXX";
	char fifo[64];
	if (!mkdtemp(dir))
		return 2;
	snprintf(fifo, sizeof fifo, "%s/f", dir);
	mkfifo(fifo, 0600);
	struct later rd = { do_open_reader, fifo, 50 };
	t = later_start(&rd);
	errno = 1234;
	int wfd = open(fifo, O_WRONLY);
	show("open FIFO O_WRONLY", wfd >= 0 ? 0 : -1);
	pthread_join(t, NULL);
	close(wfd);
	close(fifo_reader);
	unlink(fifo);
	rmdir(dir);

	/* accept, then recv on the accepted socket */
	struct sockaddr_in a;
	int lfd = tcp_listener(4, &a);
	struct later conn = { do_connect, &a, 50 };
	t = later_start(&conn);
	errno = 1234;
	int s = accept(lfd, NULL, NULL);
	show("accept", s >= 0 ? 0 : -1);
	pthread_join(t, NULL);
	struct later w1 = { do_write1, &s, 50 };
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	errno = 1234;
	rc = connect(cfd, (struct sockaddr *)&a, sizeof a);
	show("connect", rc);
	int s2 = accept(lfd, NULL, NULL);
	w1.arg = &s2;
	t = later_start(&w1);
	errno = 1234;
	rc = recv(cfd, buf, sizeof buf, 0);
	show("recv", rc);
	pthread_join(t, NULL);
	close(cfd);
	close(s2);
	close(s);
	close(lfd);

	/* sleeps */
	errno = 1234;
	rc = usleep(20000);
	show("usleep", rc);
	struct timespec ts = { 0, 20000000 };
	errno = 1234;
	rc = nanosleep(&ts, NULL);
	show("nanosleep", rc);
	errno = 1234;
	rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	show("clock_nanosleep (returns 0)", rc);

	/* semaphore */
	sem_t sem;
	sem_init(&sem, 0, 0);
	struct later post = { do_post, &sem, 50 };
	t = later_start(&post);
	errno = 1234;
	rc = sem_wait(&sem);
	show("sem_wait", rc);
	pthread_join(t, NULL);
	t = later_start(&post);
	struct timespec dl = deadline_ms(CLOCK_REALTIME, 5000);
	errno = 1234;
	rc = sem_timedwait(&sem, &dl);
	show("sem_timedwait", rc);
	pthread_join(t, NULL);
	sem_destroy(&sem);

	/* condition variable and mutex */
	struct later sig = { do_signal, NULL, 50 };
	pthread_mutex_lock(&mu);
	t = later_start(&sig);
	errno = 1234;
	rc = 0;
	while (!flag && rc == 0)
		rc = pthread_cond_wait(&cv, &mu);
	show("pthread_cond_wait", rc);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	pthread_t holder;
	pthread_create(&holder, NULL, lock_then_unlock_later, NULL);
	while (__atomic_load_n(&flag, __ATOMIC_SEQ_CST) != 2)
		sleep_ms(1);
	errno = 1234;
	rc = pthread_mutex_lock(&mu);
	show("pthread_mutex_lock", rc);
	pthread_mutex_unlock(&mu);
	errno = 1234;
	rc = pthread_join(holder, NULL);
	show("pthread_join", rc);

	/* waitpid on a child that exits later */
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		_exit(7);
	}
	int st = 0;
	errno = 1234;
	rc = waitpid(pid, &st, 0);
	show("waitpid", rc == pid ? 0 : -1);
	printf("child status: %d\n", WEXITSTATUS(st));

	ticker_stop();
	return finish("errno_success");
}

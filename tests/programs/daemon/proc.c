/* daemon_proc: processes: fork, atfork, daemon, vfork, exec, system, popen, spawn, wait.
 *
 * A green runtime re-creates its hub in a forked child, must not let exec'd programs
 * inherit descriptors it switched to O_NONBLOCK (DESIGN.md rule 4) and has to offload
 * waitpid-style waits. This program pins down:
 *   a. fork from a multi-threaded parent: in the child the parent's other threads no
 *      longer run (fork(2): only the calling thread is replicated) and it is a single
 *      task; it can create and join threads, and exits with a status the parent reads
 *      with waitpid;
 *   b. pthread_atfork order: prepare handlers in reverse registration order, parent and
 *      child handlers in registration order (pthread_atfork(3));
 *   c. daemon(1, 1) in a forked child: the grandchild is a session leader, keeps the cwd
 *      and its descriptors, and reports through a pipe 400 ms later;
 *   d. vfork + _exit, vfork + exec;
 *   e. execve with an explicit environment and execvp through PATH, output captured;
 *   f. /bin/cat fed through a pipe one line every 350 ms;
 *   g. this program re-exec'd with --print-stdin-flags: after its stdin (a pipe the
 *      parent writes 400 ms late) delivers data it reports O_NONBLOCK of fd 0 and fd 1
 *      both as fcntl(F_GETFL) shows it and as the kernel does (/proc/self/fdinfo);
 *   h. system(), including one that takes 400 ms; popen/pclose in "r" and "w" modes;
 *   i. posix_spawn with file actions and posix_spawnp;
 *   j. wait, waitpid (blocking 400 ms, WNOHANG), wait4, waitid, death by signal, ECHILD.
 */
#include "check.h"
#include "clock.h"
#include "net.h"
#include "ticker.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Real kernel file status flags of an fd, from /proc/self/fdinfo (octal "flags:"). */
static long fdinfo_flags(int fd)
{
	char p[64], line[128];
	snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(p, "r");
	long flags = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	if (f)
		fclose(f);
	return flags;
}

static int print_stdin_flags(void)
{
	char buf[4096];
	ssize_t n = read_full(0, buf, sizeof buf);
	printf("exec'd child: read %zd bytes from stdin\n", n);
	for (int fd = 0; fd <= 1; fd++) {
		long real = fdinfo_flags(fd);
		printf("exec'd child: fd %d F_GETFL O_NONBLOCK=%d, kernel O_NONBLOCK=%d\n", fd,
		       !!(fcntl(fd, F_GETFL) & O_NONBLOCK), real < 0 ? -1 : !!(real & O_NONBLOCK));
	}
	return 0;
}

static void status_str(char *out, size_t cap, int st)
{
	if (WIFEXITED(st))
		snprintf(out, cap, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, cap, "killed by SIG%s", sigabbrev_np(WTERMSIG(st)));
	else
		snprintf(out, cap, "status %#x", st);
}

static void print_wait(const char *what, pid_t want, pid_t got, int st)
{
	char s[64];
	status_str(s, sizeof s, st);
	printf("%s: %s%s\n", what, got == want ? "" : "WRONG PID ", s);
	CHECK(got == want, "%s returned %d: %s", what, (int)got, ename(errno));
}

static pid_t fork_flushed(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

/* ---- a. fork from a threaded parent ---- */

static atomic_int spin_stop;
static atomic_long spins;

static void *spinner(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000 && !atomic_load(&spin_stop); i++) {
		atomic_fetch_add(&spins, 1);
		sleep_ms(5);
	}
	return NULL;
}

static void *child_thread(void *arg)
{
	sleep_ms(50);
	*(int *)arg = 1;
	return NULL;
}

static void part_fork(void)
{
	pthread_t s[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&s[i], NULL, spinner, NULL);
	sleep_ms(50);
	int rep[2];
	pipe2(rep, O_CLOEXEC);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		close(rep[0]);
		long before = atomic_load(&spins);
		sleep_ms(100);
		int gone = atomic_load(&spins) == before;
		int tasks = count_tasks();
		pthread_t t[2];
		int ran[2] = { 0, 0 };
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, child_thread, &ran[i]);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		char msg[160];
		int n = snprintf(msg, sizeof msg,
				 "child: the parent's other threads stopped: %s, one task: %s, "
				 "new threads ran: %d %d\n",
				 gone ? "yes" : "no", tasks == 1 ? "yes" : "no", ran[0], ran[1]);
		write_all(rep[1], msg, (size_t)n);
		sleep_ms(400);
		exit(7);
	}
	close(rep[1]);
	char msg[256];
	ssize_t n = read_full(rep[0], msg, sizeof msg - 1);
	msg[n < 0 ? 0 : n] = 0;
	close(rep[0]);
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);
	atomic_store(&spin_stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(s[i], NULL);
	printf("fork: %s", msg);
	print_wait("fork: waitpid", pid, got, st);
}

/* ---- b. pthread_atfork ---- */

static int atfork_on;
static char atfork_log[256];

static void log_ev(const char *s)
{
	if (!atfork_on)
		return;
	strcat(atfork_log, " ");
	strcat(atfork_log, s);
}
static void prep1(void) { log_ev("prepare1"); }
static void prep2(void) { log_ev("prepare2"); }
static void par1(void) { log_ev("parent1"); }
static void par2(void) { log_ev("parent2"); }
static void chi1(void) { log_ev("child1"); }
static void chi2(void) { log_ev("child2"); }

static void part_atfork(void)
{
	pthread_atfork(prep1, par1, chi1);
	pthread_atfork(prep2, par2, chi2);
	int p[2];
	pipe2(p, O_CLOEXEC);
	atfork_log[0] = 0;
	atfork_on = 1;
	pid_t pid = fork_flushed();
	if (pid == 0) {
		write_all(p[1], atfork_log, strlen(atfork_log));
		_exit(0);
	}
	atfork_on = 0;
	close(p[1]);
	char child_log[256];
	ssize_t n = read_full(p[0], child_log, sizeof child_log - 1);
	child_log[n < 0 ? 0 : n] = 0;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	printf("atfork parent:%s\n", atfork_log);
	printf("atfork child:%s\n", child_log);
}

/* ---- c. daemon(1, 1) ---- */

static void part_daemon(void)
{
	char cwd[512];
	CHECK(getcwd(cwd, sizeof cwd), "getcwd");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int p[2];
	pipe2(p, O_CLOEXEC);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		close(p[0]);
		if (daemon(1, 1) != 0)
			_exit(1);
		char here[512];
		int same_cwd = getcwd(here, sizeof here) && strcmp(here, cwd) == 0;
		int leader = getsid(0) == getpid();
		int fd1_open = fcntl(1, F_GETFD) != -1;
		sleep_ms(400);
		char msg[160];
		int n = snprintf(msg, sizeof msg, "%d session leader: %s, same cwd: %s, fd 1 open: %s\n",
				 (int)getpid(), leader ? "yes" : "no", same_cwd ? "yes" : "no",
				 fd1_open ? "yes" : "no");
		write_all(p[1], msg, (size_t)n);
		_exit(0);
	}
	close(p[1]);
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);
	print_wait("daemon: the forked child (daemon's parent half)", pid, got, st);
	char msg[256];
	ssize_t n = read_full(p[0], msg, sizeof msg - 1);
	msg[n < 0 ? 0 : n] = 0;
	close(p[0]);
	int gpid = 0, off = 0;
	sscanf(msg, "%d %n", &gpid, &off);
	printf("daemon: grandchild %s", msg + off);
	got = waitpid(gpid, &st, 0);
	print_wait("daemon: grandchild reaped (we are its subreaper)", gpid, got, st);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* ---- d. vfork ---- */

static void part_vfork(void)
{
	fflush(stdout);
	int st = 0;
	pid_t got, pid = vfork();
	if (pid == 0)
		_exit(3);
	got = waitpid(pid, &st, 0);
	print_wait("vfork+_exit", pid, got, st);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
		_exit(127);
	}
	got = waitpid(pid, &st, 0);
	print_wait("vfork+execl", pid, got, st);
}

/* ---- e. exec with captured output ---- */

static void capture(const char *what, void (*child)(void))
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		dup2(p[1], 1);
		child();
		_exit(127);
	}
	close(p[1]);
	char out[512];
	ssize_t n = read_full(p[0], out, sizeof out - 1);
	out[n < 0 ? 0 : n] = 0;
	close(p[0]);
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);
	printf("%s output: %s", what, out);
	print_wait(what, pid, got, st);
}

static void do_execve(void)
{
	char *argv[] = { "sh", "-c", "echo \"hello from sh, FOO=$FOO\"; exit 9", NULL };
	char *envp[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
	execve("/bin/sh", argv, envp);
}

static void do_execvp(void)
{
	char *argv[] = { "echo", "execvp", "found", "echo", NULL };
	execvp("echo", argv);
}

/* ---- f./g. a child fed through a pipe ---- */

struct feed {
	int fd, gap_ms, lines;
};

static void *feeder(void *arg)
{
	struct feed *f = arg;
	for (int i = 0; i < f->lines; i++) {
		sleep_ms(f->gap_ms);
		char line[64];
		int n = snprintf(line, sizeof line, "fed line %d\n", i + 1);
		write_all(f->fd, line, (size_t)n);
	}
	close(f->fd);
	return NULL;
}

static void fed_child(const char *what, char *const argv[], int gap_ms)
{
	int in[2], out[2];
	pipe2(in, O_CLOEXEC);
	pipe2(out, O_CLOEXEC);
	pid_t pid = fork_flushed();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	struct feed f = { in[1], gap_ms, 3 };
	pthread_t t;
	pthread_create(&t, NULL, feeder, &f);
	char buf[1024];
	ssize_t n = read_full(out[0], buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	close(out[0]);
	pthread_join(t, NULL);
	int st = 0;
	pid_t got = waitpid(pid, &st, 0);
	printf("%s output:\n%s", what, buf);
	print_wait(what, pid, got, st);
}

/* ---- h. system and popen ---- */

static void part_system(void)
{
	printf("system(NULL): %s\n", system(NULL) ? "shell available" : "no shell");
	fflush(stdout);
	int st = system("echo system: hello from the shell");
	print_wait("system(echo)", 0, 0, st);
	st = system("exit 3");
	print_wait("system(exit 3)", 0, 0, st);
	long t0 = now_ms();
	st = system("sleep 0.4; exit 4");
	fprintf(stderr, "system(sleep 0.4) took %ld ms\n", now_ms() - t0);
	print_wait("system(sleep 0.4; exit 4)", 0, 0, st);

	FILE *r = popen("echo popen line one; sleep 0.4; echo popen line two", "r");
	char line[128];
	while (r && fgets(line, sizeof line, r))
		printf("popen r: %s", line);
	print_wait("pclose(r)", 0, 0, r ? pclose(r) : -1);

	FILE *w = popen("n=$(wc -l); exit $n", "w");
	for (int i = 0; w && i < 5; i++)
		fprintf(w, "line %d\n", i);
	print_wait("pclose(w) of a shell exiting with its line count", 0, 0, w ? pclose(w) : -1);
}

/* ---- i. posix_spawn ---- */

static void spawn_capture(const char *what, int use_path, const char *file, char *const argv[])
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid = 0;
	fflush(stdout);
	int rc = use_path ? posix_spawnp(&pid, file, &fa, NULL, argv, environ)
			  : posix_spawn(&pid, file, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	char out[256];
	ssize_t n = read_full(p[0], out, sizeof out - 1);
	out[n < 0 ? 0 : n] = 0;
	close(p[0]);
	int st = 0;
	printf("%s: %s, output: %s", what, ename(rc), out);
	pid_t got = waitpid(pid, &st, 0);
	print_wait(what, pid, got, st);
}

static void part_spawn(void)
{
	char *argv[] = { "sh", "-c", "echo spawned by posix_spawn; exit 6", NULL };
	spawn_capture("posix_spawn /bin/sh", 0, "/bin/sh", argv);
	char *argv2[] = { "echo", "spawned by posix_spawnp", NULL };
	spawn_capture("posix_spawnp echo", 1, "echo", argv2);
}

/* ---- j. the wait family ---- */

static pid_t child_exiting(int code, int delay_ms)
{
	pid_t pid = fork_flushed();
	if (pid == 0) {
		if (delay_ms)
			sleep_ms(delay_ms);
		_exit(code);
	}
	return pid;
}

static void part_wait(void)
{
	int st = 0;
	pid_t a = child_exiting(11, 0), b = child_exiting(12, 0), c = child_exiting(13, 0);
	pid_t got = wait(&st);
	int first = (got == a || got == b || got == c) && WIFEXITED(st);
	int codes = 1 << WEXITSTATUS(st);
	printf("wait: reaped one of the three: %s\n", first ? "yes" : "no");
	pid_t left[2];
	int k = 0;
	if (got != a)
		left[k++] = a;
	if (got != b)
		left[k++] = b;
	if (got != c && k < 2)
		left[k++] = c;
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	pid_t g4 = wait4(left[0], &st, 0, &ru);
	codes |= 1 << WEXITSTATUS(st);
	printf("wait4: right pid: %s, rusage filled: %s\n", g4 == left[0] ? "yes" : "no",
	       ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 ? "yes" : "no");
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int rc = waitid(P_PID, (id_t)left[1], &si, WEXITED);
	codes |= 1 << si.si_status;
	printf("waitid: %s, si_pid right: %s, si_code=%s\n", ename(rc ? errno : 0),
	       si.si_pid == left[1] ? "yes" : "no", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other");
	printf("exit codes seen: 11 %s, 12 %s, 13 %s\n", codes & (1 << 11) ? "yes" : "no",
	       codes & (1 << 12) ? "yes" : "no", codes & (1 << 13) ? "yes" : "no");

	pid_t slow = child_exiting(21, 400);
	printf("waitpid WNOHANG on a running child: %d\n", (int)waitpid(slow, &st, WNOHANG));
	memset(&si, 0, sizeof si);
	rc = waitid(P_PID, (id_t)slow, &si, WEXITED | WNOHANG);
	printf("waitid WNOHANG on a running child: %s, si_pid=%d\n", ename(rc ? errno : 0), (int)si.si_pid);
	long t0 = now_ms();
	got = waitpid(slow, &st, 0);
	long waited = now_ms() - t0;
	fprintf(stderr, "waitpid waited %ld ms\n", waited);
	print_wait("waitpid (blocking)", slow, got, st);
	printf("waitpid blocked until the child exited: %s\n", waited >= 200 ? "yes" : "no");

	pid_t victim = child_exiting(0, 5000);
	kill(victim, SIGKILL);
	got = waitpid(victim, &st, 0);
	print_wait("waitpid on a SIGKILLed child", victim, got, st);

	errno = 0;
	rc = waitpid(-1, &st, WNOHANG);
	printf("waitpid(-1) with no children: %d %s\n", rc, ename(errno));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--print-stdin-flags") == 0)
		return print_stdin_flags();
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60);
	ticker_start();
	part_fork();
	part_atfork();
	part_daemon();
	part_vfork();
	capture("execve /bin/sh", do_execve);
	capture("execvp echo", do_execvp);
	char *cat[] = { "/bin/cat", NULL };
	fed_child("cat fed every 350 ms", cat, 350);
	char *self[] = { "/proc/self/exe", "--print-stdin-flags", NULL };
	fed_child("self --print-stdin-flags", self, 400);
	part_system();
	part_spawn();
	part_wait();
	ticker_stop();
	return check_status();
}

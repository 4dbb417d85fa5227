// process.cc: fork, vfork, posix_spawn, system and pclose.
//
// fork: glibc runs atfork child handlers inside the real fork in
// registration order, and libgreen registers first (start-up, before the
// program can), so the hub is re-made (green::after_fork_child) before any
// handler of the program runs in the child. That also covers daemon(),
// which calls glibc's internal fork. Fork itself is not interposed.
//
// vfork: the child would share the parent's stack and run on the parent's
// hub; it is a fork without atfork handlers instead (_Fork, as vfork runs
// none), with the same re-making of the hub.
//
// posix_spawn(p): the new program gets ExecPrep's environment, fd flags and
// signal mask (exec_prep.h). glibc's popen spawns the same way internally,
// with the OS thread's real mask.
//
// system: glibc's waits for the shell in an internal waitpid, so it is
// rebuilt from posix_spawn and the green waitpid with glibc's semantics
// (SIGINT and SIGQUIT ignored while any system() runs, SIGCHLD blocked in
// the caller, the shell gets the caller's mask and default INT/QUIT, a shell
// that cannot start is status 127). pclose: its internal waitpid cannot be
// reached, so the whole call runs on the pool.
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

#include "boundary.h"
#include "io/fd_ops.h"
#include "process/exec_prep.h"
#include "process/fork_child.h"
#include "green.h"
#include "os/spinlock.h"

extern char** environ;

namespace {

__attribute__((constructor(102))) void process_init() {
  green::exec_prep_init();
  pthread_atfork(nullptr, nullptr, green::process_after_fork_child);
}

// glibc's do_system (stdlib/system.c): one disposition change for all
// concurrent callers, counted.
green::SpinLock g_sys_lock;
int g_sys_users;                  // guarded by g_sys_lock
struct sigaction g_intr, g_quit;  // the dispositions to put back

void ignore_int_quit() {
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  green::SpinGuard guard(g_sys_lock);
  if (g_sys_users++ == 0) {
    sigaction(SIGINT, &ign, &g_intr);
    sigaction(SIGQUIT, &ign, &g_quit);
  }
}

void restore_int_quit(const sigset_t& omask) {
  green::SpinGuard guard(g_sys_lock);
  if (--g_sys_users == 0) {
    sigaction(SIGINT, &g_intr, nullptr);
    sigaction(SIGQUIT, &g_quit, nullptr);
    sigprocmask(SIG_SETMASK, &omask, nullptr);
  }
}

int spawn_shell(const char* line, const sigset_t& omask, pid_t* pid) {
  sigset_t reset;
  sigemptyset(&reset);
  if (g_intr.sa_handler != SIG_IGN) sigaddset(&reset, SIGINT);
  if (g_quit.sa_handler != SIG_IGN) sigaddset(&reset, SIGQUIT);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &omask);
  posix_spawnattr_setsigdefault(&attr, &reset);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>(line), nullptr};
  int rc = posix_spawn(pid, "/bin/sh", nullptr, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  return rc;
}

int run_shell(const char* line) {
  ignore_int_quit();
  sigset_t chld, omask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &omask);
  pid_t pid = 0;
  int status = -1;
  int rc = spawn_shell(line, omask, &pid);
  if (rc == 0) {
    pid_t got;
    while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (got != pid) status = -1;
  } else {
    status = W_EXITCODE(127, 0);
  }
  restore_int_quit(omask);
  if (rc) errno = rc;
  return status;
}

}  // namespace

// _Fork is glibc 2.34+. Before, vfork is fork: the atfork handlers run (ours
// re-makes the hub in the child), which a vfork child natively skips.
GREEN_EXPORT pid_t vfork(void) {
  using fork_fn = pid_t (*)();
  static auto raw_fork = reinterpret_cast<fork_fn>(real::optional_sym("_Fork"));
  if (!raw_fork) return fork();
  pid_t pid = raw_fork();
  if (pid == 0) green::process_after_fork_child();
  return pid;
}

GREEN_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa,
                             const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  green::ExecPrep prep(envp);
  return REAL(posix_spawn)(pid, path, fa, attr, argv, prep.envp());
}

GREEN_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa,
                              const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  green::ExecPrep prep(envp);
  return REAL(posix_spawnp)(pid, file, fa, attr, argv, prep.envp());
}

GREEN_EXPORT int system(const char* line) {
  if (!green::intercepting()) return REAL(system)(line);
  if (!line) return run_shell("exit 0") == 0;
  return run_shell(line);
}

GREEN_EXPORT int pclose(FILE* f) {
  if (!green::intercepting()) return REAL(pclose)(f);
  int fd = fileno(f);
  if (fd >= 0) green::fd_closing(fd);  // glibc closes it internally
  struct Call {
    FILE* f;
    int r;
    int err;
  } c{f, 0, 0};
  green::offload([](void* a) {
    auto c = static_cast<Call*>(a);
    c->r = REAL(pclose)(c->f);
    c->err = errno;
  }, &c);
  if (c.r < 0) errno = c.err;
  return c.r;
}

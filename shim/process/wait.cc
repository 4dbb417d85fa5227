// wait.cc: wait, waitpid, wait3, wait4, waitid on green threads.
//
// The real call is made with WNOHANG; while no child is ready the green
// thread parks on pidfds (pidfd_open(2), Linux 5.3: readable once the
// process has exited) and tries again:
//   one pid (P_PID, P_PIDFD)  -> its pidfd, no timeout;
//   any child (pid <= 0, P_ALL, P_PGID) -> the pidfds of the current
//       children (/proc/self/task/*/children, up to kMaxPidfds) and a
//       kTick timeout, for children forked during the wait;
//   stop/continue reports (WUNTRACED, WSTOPPED, WCONTINUED) make no pidfd
//       readable, so those waits also retry every kTick.
// Without pidfd_open (ENOSYS) the blocking call is offloaded to the pool.
//
// ptrace stops are the exception: a tracer's wait reports a tracee's stop
// without WUNTRACED, and a stop makes no pidfd readable, so a parked wait
// would never see it (strace and gdb hung under the preload). A wait that
// may report one makes the real blocking call on the OS thread, as
// natively (it blocks the hub; a tracer is a debugger, not a server):
//   - once the process has made any ptrace request but PTRACE_TRACEME
//     (interposed below: the tracer's PTRACE_SEIZE/ATTACH/CONT...), and
//   - a wait for one child (P_PID) whose TracerPid is a thread of ours
//     (the child made itself our tracee with PTRACE_TRACEME, before this
//     process ever called ptrace). The child may do so after the wait
//     began, so such a wait also wakes to look again after kProbeFirst,
//     doubling up to kProbeMax (about one /proc read a second on a long
//     wait); the WNOHANG attempt made then reports a stop already there.
// The real call, not the pool: a signal must interrupt it as natively
// (strace's ^C, gdb's SIGINT), and a pool thread takes no signals.
// A handler without SA_RESTART ends the wait with EINTR, as the kernel's
// wait4 does; with SA_RESTART the wait goes on. WNOHANG calls, native
// threads and everything before start-up pass straight through.
//
// pidfds are moved above the program's fd numbers (as netpoll's private
// dups), so the program's next fds are numbered as natively.
#include <dirent.h>
#include <sys/wait.h>
#if !__GLIBC_PREREQ(2, 32)
#define P_PIDFD static_cast<idtype_t>(3)  // Linux 5.4; glibc 2.32+ names it
#endif
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdarg>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/fd_state.h"
#include "io/wait.h"
#include "signal/signal_delivery.h"

namespace {

constexpr green::Nanos kTick = 20 * 1000 * 1000;
constexpr size_t kMaxPidfds = 64;
constexpr green::Nanos kProbeFirst = 1000 * 1000;
constexpr green::Nanos kProbeMax = 1000 * 1000 * 1000;
std::atomic<bool> g_no_pidfd{false};
// The process that made a ptrace request (not TRACEME), 0 if none; a pid so
// that a fork child, which traces nothing, does not inherit it.
std::atomic<pid_t> g_tracer{0};

int high_fd_base() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1024;
  return static_cast<int>(rl.rlim_cur * 3 / 4);
}

int pidfd_open_high(pid_t pid) {
  int fd = static_cast<int>(REAL(syscall)(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    if (errno == ENOSYS) g_no_pidfd.store(true);
    return -1;
  }
  int high = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, high_fd_base());
  if (high < 0) return fd;
  REAL(close)(fd);
  return high;
}

struct PidFds {
  green::FdInterest fds[kMaxPidfds];
  size_t n = 0;
  bool own[kMaxPidfds] = {};
  ~PidFds() {
    for (size_t i = 0; i < n; i++)
      if (own[i]) close(fds[i].fd);  // ours: forgets the netpoll watch first
  }
  void add(int fd, bool owned) {
    if (fd < 0 || n == kMaxPidfds) return;
    fds[n] = {fd, POLLIN, green::fd_peek(fd).generation()};
    own[n++] = owned;
  }
};

void add_children_of(const char* tid, PidFds* out) {
  char path[300], buf[4096];
  snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t len = REAL(read)(fd, buf, sizeof buf - 1);
  REAL(close)(fd);
  buf[len > 0 ? len : 0] = '\0';
  for (char* p = buf; *p && out->n < kMaxPidfds;) {
    char* end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    out->add(pidfd_open_high(static_cast<pid_t>(pid)), true);
    p = end;
  }
}

void add_all_children(PidFds* out) {
  DIR* d = opendir("/proc/self/task");
  while (dirent* e = d ? readdir(d) : nullptr)
    if (e->d_name[0] != '.') add_children_of(e->d_name, out);
  if (d) closedir(d);
}

struct Target {
  idtype_t type;  // P_PID or P_PIDFD: one process; anything else: any child
  id_t id;
  bool ticks;     // retry every kTick
};

// Is pid traced by one of this process's threads? (/proc/PID/status
// TracerPid is the tracer's thread id.)
bool traced_by_us(pid_t pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t len = REAL(read)(fd, buf, sizeof buf - 1);
  REAL(close)(fd);
  buf[len > 0 ? len : 0] = '\0';
  const char* p = strstr(buf, "\nTracerPid:");
  if (!p) return false;
  long tracer = strtol(p + 12, nullptr, 10);
  if (tracer <= 0) return false;
  snprintf(path, sizeof path, "/proc/self/task/%ld", tracer);
  return access(path, F_OK) == 0;
}

// May this wait report a ptrace stop (see the top)? Asked only when the
// child is not ready yet.
bool may_see_ptrace_stop(const Target& t) {
  pid_t tracer = g_tracer.load(std::memory_order_relaxed);
  if (tracer != 0 && tracer == getpid()) return true;
  return t.type == P_PID && traced_by_us(static_cast<pid_t>(t.id));
}

Target pid_target(pid_t pid, int opts) {
  bool stops = opts & (WUNTRACED | WCONTINUED);
  if (pid > 0) return {P_PID, static_cast<id_t>(pid), stops};
  return {P_ALL, 0, true};
}

// Parks until one of t's processes may have changed state, or for at most
// probe (0: no limit). 0, -EINTR, or -ENOSYS (no pidfds: offload instead).
int park_for(const Target& t, green::Nanos probe) {
  PidFds fds;
  if (t.type == P_PIDFD) fds.add(static_cast<int>(t.id), false);
  else if (t.type == P_PID) fds.add(pidfd_open_high(static_cast<pid_t>(t.id)), true);
  else add_all_children(&fds);
  if (g_no_pidfd.load()) return -ENOSYS;
  bool tick = t.ticks || fds.n == 0;
  green::set_park_restartable(true);
  green::Nanos deadline = tick ? green::now() + kTick
                         : probe ? green::now() + probe
                                 : green::kForever;
  int r = green::wait_any(fds.fds, fds.n, deadline);
  return r == -EINTR ? -EINTR : 0;
}

// attempt(): the WNOHANG call, as libc returns it: > 0 (or 0 with a
// report, see waitid) done, 0 nothing yet, -1 with errno. block(): the
// blocking call, for the offload. Returns what libc would, errno set.
template <class Attempt, class Block>
long green_wait(const Target& t, Attempt attempt, Block block) {
  green::Nanos probe = t.type == P_PID ? kProbeFirst : 0;
  for (;;) {
    long r = attempt();
    if (r != 0) return r;
    if (may_see_ptrace_stop(t)) return block();  // as natively, see the top
    int p = g_no_pidfd.load() ? -ENOSYS : park_for(t, probe);
    if (probe) probe = probe * 2 < kProbeMax ? probe * 2 : kProbeMax;
    if (p == -EINTR) return shim::syscall_ret(-EINTR);
    if (p == -ENOSYS) break;
  }
  struct Call {
    Block* block;
    long r;
    int err;
  } c{&block, 0, 0};
  green::offload([](void* a) {
    auto c = static_cast<Call*>(a);
    c->r = (*c->block)();
    c->err = errno;
  }, &c);
  if (c.r < 0) errno = c.err;
  return c.r;
}

bool passes_through(int opts) { return !green::intercepting() || (opts & WNOHANG); }

}  // namespace

GREEN_EXPORT pid_t wait4(pid_t pid, int* st, int opts, struct rusage* ru) {
  if (passes_through(opts)) return REAL(wait4)(pid, st, opts, ru);
  green::CancelPoint cp;
  return static_cast<pid_t>(green_wait(
      pid_target(pid, opts), [&] { return REAL(wait4)(pid, st, opts | WNOHANG, ru); },
      [&] { return REAL(wait4)(pid, st, opts, ru); }));
}

GREEN_EXPORT pid_t waitpid(pid_t pid, int* st, int opts) { return wait4(pid, st, opts, nullptr); }

GREEN_EXPORT pid_t wait(int* st) { return wait4(-1, st, 0, nullptr); }

GREEN_EXPORT pid_t wait3(int* st, int opts, struct rusage* ru) { return wait4(-1, st, opts, ru); }

// waitid reports "nothing yet" under WNOHANG as 0 with si_pid == 0, so the
// attempt fills a siginfo of its own and copies it out when a child came.
GREEN_EXPORT int waitid(idtype_t type, id_t id, siginfo_t* info, int opts) {
  if (passes_through(opts)) return REAL(waitid)(type, id, info, opts);
  green::CancelPoint cp;
  bool stops = opts & (WSTOPPED | WCONTINUED);
  Target t = type == P_PID || type == P_PIDFD ? Target{type, id, stops} : Target{P_ALL, 0, true};
  auto attempt = [&]() -> long {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (REAL(waitid)(type, id, &si, opts | WNOHANG) != 0) return -1;
    if (si.si_pid == 0) return 0;
    if (info) memcpy(info, &si, sizeof si);
    return 1;
  };
  long r = green_wait(t, attempt, [&] { return static_cast<long>(REAL(waitid)(type, id, info, opts)); });
  return r > 0 ? 0 : static_cast<int>(r);
}

// Only notes that this process traces (see the top) and calls libc's
// ptrace with the three arguments glibc's own reads.
GREEN_EXPORT long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void* addr = va_arg(ap, void*);
  void* data = va_arg(ap, void*);
  va_end(ap);
  if (req != PTRACE_TRACEME) g_tracer.store(getpid(), std::memory_order_relaxed);
  return REAL(ptrace)(req, pid, addr, data);
}

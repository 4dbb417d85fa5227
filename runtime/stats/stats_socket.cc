// stats_socket.cc: the live stats socket (GREEN_STATS=1, stats.h).
//
// One native OS thread of libgreen's, every signal blocked, serves a Unix
// stream socket at
//   $XDG_RUNTIME_DIR/libgreen/PID.sock   when XDG_RUNTIME_DIR is set, else
//   /tmp/libgreen-UID/PID.sock
// The directory is made 0700 and must be a real directory owned by the user
// with no access for others (a planted symlink or someone else's directory
// is refused, not followed); an existing PID.sock is replaced only when it
// is a socket of the user's (left by a dead process that had this pid).
// The socket is 0600 and a client whose SO_PEERCRED uid is not the
// process's is refused. It is removed at exit (atexit; not after a fatal
// signal, whose leftover the next process with that pid replaces).
//
// Protocol: the client sends one line, "stats", "threads" or "stacks", and reads one
// JSON object; then the connection closes. Nothing listens on the network.
#include "stats/stats.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "config/config.h"
#include "glibc/real.h"
#include "os/check.h"
#include "os/high_fd.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/passthrough.h"

namespace green {

namespace {

// The socket's path and the process that made it (a fork child must not
// remove its parent's socket at exit). Written once by stats_start.
char g_path[sizeof(sockaddr_un::sun_path)];
pid_t g_owner = 0;
int g_listen = -1;

int lstat_path(const char* path, struct stat* st) {
  return static_cast<int>(sys::call(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW));
}

// dir exists (made 0700 if not) as a directory of ours that no one else may
// enter; "" or why not.
std::string private_dir(const std::string& dir) {
  sys::call(SYS_mkdirat, AT_FDCWD, dir.c_str(), 0700);
  struct stat st;
  if (lstat_path(dir.c_str(), &st) != 0) return dir + ": " + strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory (a symlink?)";
  if (st.st_uid != getuid()) return dir + " belongs to another user";
  if (st.st_mode & 077) return dir + " is open to other users (mode not 0700)";
  return "";
}

std::string socket_dir(std::string* why) {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  std::string dir = xdg && *xdg == '/' ? std::string(xdg) + "/libgreen"
                                        : "/tmp/libgreen-" + std::to_string(getuid());
  *why = private_dir(dir);
  return dir;
}

// A leftover at path is removed when it is a socket of ours; "" or why not.
std::string clear_leftover(const char* path) {
  struct stat st;
  if (lstat_path(path, &st) != 0) return "";
  if (!S_ISSOCK(st.st_mode) || st.st_uid != getuid())
    return std::string(path) + " exists and is not a socket of this user's";
  sys::call(SYS_unlinkat, AT_FDCWD, path, 0);
  return "";
}

void remove_socket() {
  if (g_owner == getpid() && g_path[0]) sys::call(SYS_unlinkat, AT_FDCWD, g_path, 0);
}

bool peer_is_us(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (sys::call(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  return cred.uid == getuid();
}

void write_all(int fd, const std::string& s) {
  for (size_t off = 0; off < s.size();) {
    long n = sys::write(fd, s.data() + off, s.size() - off);
    if (n == -EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// One request line (without its newline), or "" after a second of silence.
std::string read_request(int fd) {
  timeval tv{1, 0};
  sys::call(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string line;
  char c;
  while (line.size() < 64 && sys::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  return line;
}

void serve(int fd) {
  std::string req = read_request(fd);  // first: closing with unread data would reset
  if (!peer_is_us(fd)) {
    write_all(fd, "{\"error\":\"refused: not this process's user\"}\n");
    return;
  }
  if (req == "stats") write_all(fd, stats_json(Detail::kCounts));
  else if (req == "threads") write_all(fd, stats_json(Detail::kThreads));
  else if (req == "stacks") write_all(fd, stats_json(Detail::kStacks));
  else write_all(fd, "{\"error\":\"unknown request; send stats, threads or stacks\"}\n");
}

void* stats_thread(void*) {
  PassThrough real_calls;
  for (;;) {
    int fd = static_cast<int>(sys::call(SYS_accept4, g_listen, nullptr, nullptr, SOCK_CLOEXEC));
    if (fd == -EINTR || fd == -ECONNABORTED) continue;
    if (fd < 0) return nullptr;
    serve(fd);
    sys::close(fd);
  }
}

// Binds and listens at dir/PID.sock; "" or why not.
std::string listen_at(const std::string& dir) {
  std::string path = dir + "/" + std::to_string(getpid()) + ".sock";
  if (path.size() >= sizeof g_path) return path + ": path too long";
  if (std::string why = clear_leftover(path.c_str()); !why.empty()) return why;
  int fd = static_cast<int>(sys::call(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return std::string("socket: ") + strerror(-fd);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  long rc = sys::call(SYS_bind, fd, &a, sizeof a);
  if (rc == 0) rc = sys::call(SYS_fchmodat, AT_FDCWD, path.c_str(), 0600);
  if (rc == 0) rc = sys::call(SYS_listen, fd, 16);
  if (rc != 0) {
    sys::close(fd);
    return path + ": " + strerror(static_cast<int>(-rc));
  }
  memcpy(g_path, path.c_str(), path.size() + 1);
  g_owner = getpid();
  g_listen = fd_move_high(fd);
  return "";
}

}  // namespace

void stats_start() {
  if (!config().stats || getauxval(AT_SECURE)) return;
  PassThrough real_calls;
  std::string why;
  std::string dir = socket_dir(&why);
  if (why.empty()) why = listen_at(dir);
  if (!why.empty()) {
    report("libgreen: GREEN_STATS=1 but no stats socket: %s", why.c_str());
    return;
  }
  atexit(remove_socket);
  set_report_hook(hub_serve_report);
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  REAL(pthread_attr_setstacksize)(&attr, 256 * 1024);
  sigset_t all, old;  // takes no signal of the program's (DESIGN rule 5)
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  pthread_t t;
  int rc = REAL(pthread_create)(&t, &attr, stats_thread, nullptr);
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  REAL(pthread_attr_destroy)(&attr);
  if (rc != 0) report("libgreen: GREEN_STATS=1 but the stats thread did not start: %s", strerror(rc));
}

}  // namespace green

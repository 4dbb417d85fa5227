// fd_ops.cc: what close, dup2/dup3, fcntl and ioctl(FIONBIO) do to libgreen's
// fd state (the interposers: shim/io/fd.cc).
//
// Closing or replacing a number a green thread waits on hands the wait to a
// private dup first (netpoll_close, INV-FD1), so the waiter goes on with its
// file as on Linux. fcntl and ioctl show the program its own O_NONBLOCK view
// of listeners libgreen made non-blocking (fd_state.h), and tell the fd
// table's O_NONBLOCK cache of every change the program makes (INV-DESC).
// Results follow libc's convention (-1 and errno), as the interposers return them.
#include "io/fd_ops.h"

#include <cstdint>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "glibc/real.h"
#include "io/fd_state.h"
#include "os/high_fd.h"
#include "os/sys.h"
#include "io/file_lock.h"
#include "sched/hub.h"
#include "sched/netpoll.h"
#include "sched/passthrough.h"

namespace green {


void fd_closing(int fd) {
  {
    PassThrough pt;
    netpoll_close(fd);  // any thread: every hub that watches fd (netpoll.h)
  }
  forget_fd(fd);
}

// Calls each(i) for every number open in the process but dir's own and
// libgreen's (os/high_fd.h), read from /proc/self/fd with raw system calls.
// False when /proc cannot be read (each was not called).
template <class Each>
static bool for_each_open_fd(Each each) {
  int dir = sys::openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  struct Dirent64 {  // getdents64(2)'s record
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
  };
  alignas(8) char buf[4096];
  for (;;) {
    long n = sys::call(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long at = 0; at < n;) {
      auto d = reinterpret_cast<Dirent64*>(buf + at);
      at += d->reclen;
      if (d->name[0] < '0' || d->name[0] > '9') continue;  // "." and ".."
      int i = 0;
      for (const char* c = d->name; *c >= '0' && *c <= '9'; c++) i = i * 10 + (*c - '0');
      if (i != dir && !own_fd(i)) each(i);
    }
  }
  sys::close(dir);
  return true;
}

// A listener's O_NONBLOCK view belongs to its description, as the real
// flag does: a change through one number (fcntl F_SETFL, FIONBIO, listen)
// shows through every number naming the same socket (dup, dup2, F_DUPFD,
// also a dup made before listen; found by the fuzzer: a dup that kept no
// view cleared the real O_NONBLOCK under the listener's, and its accept
// blocked its hub). A socket has one description, so its inode names it.
// The change is rare: one fstat per open number. Without /proc, the numbers
// below the soft RLIMIT_NOFILE that already hold a view are updated.
void set_listener_view_shared(int fd, ListenerView v) {
  set_listener_view(fd, v);
  struct stat a;
  if (sys::fstat(fd, &a) != 0) return;
  auto same = [&](int i) {
    struct stat b;
    if (i != fd && sys::fstat(i, &b) == 0 && b.st_ino == a.st_ino && b.st_dev == a.st_dev) set_listener_view(i, v);
  };
  if (for_each_open_fd(same)) return;
  rlimit rl{};
  long lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? static_cast<long>(rl.rlim_cur) : 1024;
  if (lim > (1 << 20)) lim = 1 << 20;
  for (int i = 0; i < lim; i++)
    if (fd_peek(i).view() != ListenerView::kNotOurs) same(i);
}

int fd_getfl(int fd) {
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl >= 0 && fd_peek(fd).view() == ListenerView::kBlocking) fl &= ~O_NONBLOCK;
  return fl;
}

int fd_setfl(int fd, long fl) {
  ListenerView v = fd_peek(fd).view();
  if (v == ListenerView::kNotOurs) {
    int r = REAL(fcntl)(fd, F_SETFL, fl);
    if (r == 0) desc_changed();
    return r;
  }
  int r = REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
  if (r == 0)
    set_listener_view_shared(fd, (fl & O_NONBLOCK) ? ListenerView::kNonBlocking : ListenerView::kBlocking);
  return r;
}

int fd_fcntl(int (*real)(int, int, ...), int fd, int cmd, void* arg) {
  switch (cmd) {
    case F_GETFL:
      return fd_getfl(fd);
    case F_SETFL:
      return fd_setfl(fd, reinterpret_cast<long>(arg));
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      int r = real(fd, cmd, arg);
      if (r >= 0) copy_fd(fd, r);
      return r;
    }
    case F_SETLKW:
    case F_OFD_SETLKW:
      return fcntl_lock_wait(real, fd, cmd, arg);  // file_lock.cc
    default:
      return real(fd, cmd, arg);
  }
}


// ioctl(fd, FIONBIO, arg) as the program sees it (its own view on
// listeners libgreen made non-blocking).
int fd_fionbio(int fd, void* arg) {
  if (fd_peek(fd).view() == ListenerView::kNotOurs) {
    int r = REAL(ioctl)(fd, FIONBIO, arg);
    if (r == 0) desc_changed();
    return r;
  }
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl < 0) return -1;
  int r = REAL(ioctl)(fd, FIONBIO, arg);  // reports EFAULT for a bad pointer, as natively
  if (r != 0) return r;
  int on = *static_cast<int*>(arg);
  REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
  set_listener_view_shared(fd, on ? ListenerView::kNonBlocking : ListenerView::kBlocking);
  return 0;
}

void fd_closed(int fd) { forget_fd(fd); }

int fd_close_range(unsigned int first, unsigned int last, int flags, CloseRangeFn real) {
  constexpr int kCloexec = 1 << 2;  // CLOSE_RANGE_CLOEXEC (Linux 5.11; not in Debian 11's headers)
  if ((flags & kCloexec) || runtime_context()) return real(first, last, flags);
  int lo = first > 0x7fffffffu ? 0x7fffffff : static_cast<int>(first);
  int top = last > 0x7fffffffu ? 0x7fffffff : static_cast<int>(last);
  int tracked = top < lo + 65535 ? top : lo + 65535;
  for (int fd = lo; fd <= tracked; fd++)
    if (!own_fd(fd)) fd_closing(fd);
  int rc = 0;
  for (int from = lo; from <= top && rc == 0;) {
    int own = own_fd_next(from, top);
    int to = own < 0 ? top : own - 1;
    if (to >= from) rc = real(static_cast<unsigned>(from), static_cast<unsigned>(to), flags);
    if (own < 0) break;
    from = own + 1;
  }
  for (int fd = lo; fd <= tracked; fd++)
    if (!own_fd(fd)) fd_closed(fd);
  return rc;
}

}  // namespace green

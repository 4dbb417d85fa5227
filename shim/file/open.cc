// file_open.cc: open, openat, creat (and their 64 and _FORTIFY_SOURCE
// forms) when the path names a FIFO.
//
// Opening a FIFO blocks until the other end is opened too (fifo(7)): for
// reading until a writer comes, for writing until a reader does. Every other
// open runs inline (a regular file, a directory, a device: README,
// limitations for slow network file systems and devices whose open waits,
// such as serial lines). The FIFO is recognised by a stat of the path first
// (one extra system call per blocking-mode open of a path that exists).
//
//   O_RDONLY  opened with O_NONBLOCK, which succeeds at once and counts us
//             as the reader (natively too the reader is counted while it
//             waits); then the green thread parks until the FIFO is
//             readable: a writer wrote, or came and went (POLLHUP). A writer
//             that opens and stays silent is not seen (README,
//             limitations): the program would block in its first read
//             anyway.
//   O_WRONLY  opened with O_NONBLOCK, which fails with ENXIO while there is
//             no reader; retried with backoff (retry_backoff.h) until a
//             reader comes.
//   O_RDWR    never blocks on Linux: inline.
// Then O_NONBLOCK is cleared again: the description is new and this
// process's alone (DESIGN rule 4 holds).
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdarg>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/fd_state.h"
#include "io/wait.h"
#include "io/retry_backoff.h"

namespace {

bool takes_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

// Whether this open may wait for a FIFO peer.
bool may_block_on_fifo(int dirfd, const char* path, int flags) {
  if (flags & (O_NONBLOCK | O_PATH)) return false;
  if ((flags & O_ACCMODE) == O_RDWR) return false;
  struct stat st;
  int at = (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0;
  return fstatat(dirfd, path, &st, at) == 0 && S_ISFIFO(st.st_mode);
}

int clear_nonblock(int fd) {
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl >= 0) REAL(fcntl)(fd, F_SETFL, fl & ~O_NONBLOCK);
  green::set_fd_kind(fd, green::FdKind::kPollable);
  return fd;
}

// Parks until the FIFO read end fd has had a writer: 0 or -EINTR. The
// O_NONBLOCK is ours, not the program's: a readiness wait.
int wait_for_writer(int fd) {
  green::BlockingWait w(green::fd_state(fd), POLLIN, green::BlockingWait::kReadiness);
  while (green::ready_now(fd, POLLIN) == 0) {
    int x = w.wait();
    if (x == -EINTR) return -EINTR;
    if (x < 0) return 0;
  }
  return 0;
}

int open_fifo(int dirfd, const char* path, int flags, mode_t mode) {
  if ((flags & O_ACCMODE) == O_WRONLY) {
    int fd = green::retry_backoff(
        [&] { return shim::neg_errno(REAL(openat)(dirfd, path, flags | O_NONBLOCK, mode)); },
        [](int r) { return r == -ENXIO; });
    return fd < 0 ? fd : clear_nonblock(fd);
  }
  int fd = REAL(openat)(dirfd, path, flags | O_NONBLOCK, mode);
  if (fd < 0) return -errno;
  int w = wait_for_writer(fd);
  if (w < 0) {
    green::forget_fd(fd);  // waited on: its registration goes (INV-FD2)
    REAL(close)(fd);
    return w;
  }
  return clear_nonblock(fd);
}

int green_openat(int dirfd, const char* path, int flags, mode_t mode) {
  if (!may_block_on_fifo(dirfd, path, flags)) return REAL(openat)(dirfd, path, flags, mode);
  green::CancelPoint cp;
  return shim::syscall_ret(open_fifo(dirfd, path, flags, mode));
}

mode_t mode_arg(int flags, va_list ap) { return takes_mode(flags) ? static_cast<mode_t>(va_arg(ap, int)) : 0; }

}  // namespace

GREEN_EXPORT int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!green::intercepting()) return REAL(open)(path, flags, mode);
  return green_openat(AT_FDCWD, path, flags, mode);
}

GREEN_EXPORT int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!green::intercepting()) return REAL(open64)(path, flags, mode);
  return green_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

GREEN_EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!green::intercepting()) return REAL(openat)(dirfd, path, flags, mode);
  return green_openat(dirfd, path, flags, mode);
}

GREEN_EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  if (!green::intercepting()) return REAL(openat64)(dirfd, path, flags, mode);
  return green_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

GREEN_EXPORT int creat(const char* path, mode_t mode) {
  if (!green::intercepting()) return REAL(creat)(path, mode);
  return green_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

GREEN_EXPORT int creat64(const char* path, mode_t mode) {
  if (!green::intercepting()) return REAL(creat64)(path, mode);
  return green_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}

// The _FORTIFY_SOURCE entry points: glibc's checks (O_CREAT without a mode
// aborts) stay glibc's.
GREEN_EXPORT int __open_2(const char* path, int flags) {
  if (!green::intercepting() || takes_mode(flags)) return REAL(__open_2)(path, flags);
  return green_openat(AT_FDCWD, path, flags, 0);
}

GREEN_EXPORT int __open64_2(const char* path, int flags) {
  if (!green::intercepting() || takes_mode(flags)) return REAL(__open64_2)(path, flags);
  return green_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

GREEN_EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  if (!green::intercepting() || takes_mode(flags)) return REAL(__openat_2)(dirfd, path, flags);
  return green_openat(dirfd, path, flags, 0);
}

GREEN_EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  if (!green::intercepting() || takes_mode(flags)) return REAL(__openat64_2)(dirfd, path, flags);
  return green_openat(dirfd, path, flags | O_LARGEFILE, 0);
}

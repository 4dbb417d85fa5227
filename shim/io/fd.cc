// fd.cc: close, dup, dup2, dup3, fcntl, ioctl(FIONBIO), setsockopt, fstat: the
// fd state follows every change (runtime/io/fd_ops.h); eventfd and pipe2.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdarg>

#include "boundary.h"
#include "io/fd_ops.h"
#include "io/fd_state.h"
#include "io/fd_view.h"
#include "os/high_fd.h"

// The second forget covers a wait on another hub that registered the file
// between the first one and the real close (INV-FD2).
GREEN_EXPORT int close(int fd) {
  if (green::own_fd(fd) && !green::runtime_context()) {  // not the program's (os/high_fd.h)
    errno = EBADF;
    return -1;
  }
  green::fd_closing(fd);
  int r = REAL(close)(fd);
  green::fd_closed(fd);
  return r;
}

// fstat: EBADF for libgreen's own fds, as for any number the program never
// opened; otherwise the kernel's answer (its struct stat is glibc's on
// x86_64 and aarch64), which also serves the pre-2.33 __fxstat entries
// whose real versions newer glibc keeps only for old binaries.
static int fstat_of(int fd, void* st) {
  if (green::own_fd(fd) && !green::runtime_context()) {  // not the program's (os/high_fd.h)
    errno = EBADF;
    return -1;
  }
  return static_cast<int>(REAL(syscall)(SYS_fstat, fd, st));
}

GREEN_EXPORT int fstat(int fd, struct stat* st) { return fstat_of(fd, st); }
GREEN_EXPORT int fstat64(int fd, struct stat64* st) { return fstat_of(fd, st); }
GREEN_EXPORT int __fxstat(int, int fd, struct stat* st) { return fstat_of(fd, st); }
GREEN_EXPORT int __fxstat64(int, int fd, struct stat64* st) { return fstat_of(fd, st); }

// close_range over libgreen's own fds closes the program's around them
// (runtime/io/fd_ops.h).
GREEN_EXPORT int close_range(unsigned int first, unsigned int last, int flags) {
  return green::fd_close_range(first, last, flags, REAL(close_range));
}

GREEN_EXPORT void closefrom(int lowfd) {
  if (lowfd < 0) lowfd = 0;
  if (close_range(static_cast<unsigned>(lowfd), ~0u, 0) != 0 && errno == ENOSYS)
    REAL(closefrom)(lowfd);  // a kernel without close_range: glibc's fallback
}

// libuv's eventfd for a hub's loop goes high (os/high_fd.h).
GREEN_EXPORT int eventfd(unsigned int initval, int flags) {
  int fd = REAL(eventfd)(initval, flags);
  return green::t_high_fds ? green::fd_move_high(fd) : fd;
}

// libuv's signal pipe for a hub's loop goes high too.
GREEN_EXPORT int pipe2(int fds[2], int flags) {
  int r = REAL(pipe2)(fds, flags);
  if (r == 0 && green::t_high_fds) {
    fds[0] = green::fd_move_high(fds[0]);
    fds[1] = green::fd_move_high(fds[1]);
  }
  return r;
}

GREEN_EXPORT int dup2(int oldfd, int newfd) {
  if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0) green::fd_closing(newfd);
  int r = REAL(dup2)(oldfd, newfd);
  if (r >= 0 && oldfd != newfd) green::copy_fd(oldfd, newfd);
  return r;
}

// A dup3 the kernel refuses before anything (bad flags, the same number)
// must leave newfd's state alone: forgetting a listener's made the program
// see libgreen's O_NONBLOCK on it (found by the fuzzer).
GREEN_EXPORT int dup3(int oldfd, int newfd, int flags) {
  if ((flags & ~O_CLOEXEC) || oldfd == newfd) return REAL(dup3)(oldfd, newfd, flags);
  if (fcntl(oldfd, F_GETFD) >= 0) green::fd_closing(newfd);
  int r = REAL(dup3)(oldfd, newfd, flags);
  if (r >= 0) green::copy_fd(oldfd, newfd);
  return r;
}

// fcntl's third argument is an int, a long or a pointer; on every Linux ABI
// they are passed alike, so it travels as a void*.
GREEN_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return green::fd_fcntl(REAL(fcntl), fd, cmd, arg);
}

GREEN_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return green::fd_fcntl(REAL(fcntl64), fd, cmd, arg);
}

GREEN_EXPORT int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (req != FIONBIO) return REAL(ioctl)(fd, req, arg);
  return green::fd_fionbio(fd, arg);
}

GREEN_EXPORT int dup(int fd) {
  int r = REAL(dup)(fd);
  if (r >= 0) green::copy_fd(fd, r);
  return r;
}

// Any thread, any time: the fd state must hear of every timeout change
// (INV-DESC in io/fd_state.h).
GREEN_EXPORT int setsockopt(int fd, int level, int opt, const void* val, socklen_t len) {
  int r = REAL(setsockopt)(fd, level, opt, val, len);
  if (r == 0) green::note_setsockopt(level, opt);
  return r;
}

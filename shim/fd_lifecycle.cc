// fd_lifecycle.cc: close, dup2, dup3, fcntl, ioctl(FIONBIO).
//
// Closing or replacing a number a green thread waits on hands the wait to a
// private dup first (netpoll_close, INV-FD1), so the waiter goes on with its
// file as on Linux. fcntl and ioctl show the program its own O_NONBLOCK view
// of listeners libgreen made non-blocking (fd_table.h), and tell the fd
// table's O_NONBLOCK cache of every change the program makes (INV-DESC).
#include <fcntl.h>
#include <sys/ioctl.h>

#include <cstdarg>

#include "boundary.h"
#include "fd_table.h"
#include "file_lock.h"
#include "hub.h"
#include "netpoll.h"

namespace {

void before_number_goes(int fd) {
  if (green::this_hub()) {
    green::PassThrough pt;
    green::netpoll_close(fd);
  }
  shim::forget_fd(fd);
}

int getfl(int fd) {
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl >= 0 && shim::listener_view(fd) == shim::ListenerView::kBlocking) fl &= ~O_NONBLOCK;
  return fl;
}

int setfl(int fd, long fl) {
  shim::ListenerView v = shim::listener_view(fd);
  if (v == shim::ListenerView::kNotOurs) {
    int r = REAL(fcntl)(fd, F_SETFL, fl);
    if (r == 0) shim::desc_changed();
    return r;
  }
  int r = REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
  if (r == 0)
    shim::set_listener_view(fd, (fl & O_NONBLOCK) ? shim::ListenerView::kNonBlocking
                                                  : shim::ListenerView::kBlocking);
  return r;
}

int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, void* arg) {
  switch (cmd) {
    case F_GETFL:
      return getfl(fd);
    case F_SETFL:
      return setfl(fd, reinterpret_cast<long>(arg));
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      int r = real(fd, cmd, arg);
      if (r >= 0) shim::copy_fd(fd, r);
      return r;
    }
    case F_SETLKW:
    case F_OFD_SETLKW:
      return shim::fcntl_lock_wait(real, fd, cmd, arg);  // file_lock.cc
    default:
      return real(fd, cmd, arg);
  }
}

}  // namespace

// The second forget covers a wait on another hub that registered the file
// between the first one and the real close (INV-FD2).
GREEN_EXPORT int close(int fd) {
  before_number_goes(fd);
  int r = REAL(close)(fd);
  green::netpoll_forget(fd);
  return r;
}

GREEN_EXPORT int dup2(int oldfd, int newfd) {
  if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0) before_number_goes(newfd);
  int r = REAL(dup2)(oldfd, newfd);
  if (r >= 0 && oldfd != newfd) shim::copy_fd(oldfd, newfd);
  return r;
}

GREEN_EXPORT int dup3(int oldfd, int newfd, int flags) {
  if (oldfd != newfd && fcntl(oldfd, F_GETFD) >= 0) before_number_goes(newfd);
  int r = REAL(dup3)(oldfd, newfd, flags);
  if (r >= 0) shim::copy_fd(oldfd, newfd);
  return r;
}

// fcntl's third argument is an int, a long or a pointer; on every Linux ABI
// they are passed alike, so it travels as a void*.
GREEN_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return do_fcntl(REAL(fcntl), fd, cmd, arg);
}

GREEN_EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return do_fcntl(REAL(fcntl64), fd, cmd, arg);
}

GREEN_EXPORT int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (req != FIONBIO) return REAL(ioctl)(fd, req, arg);
  if (shim::listener_view(fd) == shim::ListenerView::kNotOurs) {
    int r = REAL(ioctl)(fd, req, arg);
    if (r == 0) shim::desc_changed();
    return r;
  }
  int on = 0;
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl < 0) return -1;
  int r = REAL(ioctl)(fd, req, arg);  // reports EFAULT for a bad pointer, as natively
  if (r != 0) return r;
  on = *static_cast<int*>(arg);
  REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
  shim::set_listener_view(fd, on ? shim::ListenerView::kNonBlocking : shim::ListenerView::kBlocking);
  return 0;
}

GREEN_EXPORT int dup(int fd) {
  int r = REAL(dup)(fd);
  if (r >= 0) shim::copy_fd(fd, r);
  return r;
}

// file_lock.cc: flock, lockf and fcntl(F_SETLKW, F_OFD_SETLKW).
//
// A file lock held by another process (or another open file description
// in this one) is released when its holder wants; nothing can be polled for
// it. Each blocking request is made as its non-blocking form (LOCK_NB,
// F_TLOCK, F_SETLK, F_OFD_SETLK), retried while the lock is busy
// (retry_backoff.h, which also says why the blocking call is not
// offloaded). Costs (README, limitations): a release is seen up to
// kMaxBackoff late; a native waiter blocked in the kernel gets the lock
// before a polling one; the kernel's deadlock check for F_SETLKW (EDEADLK)
// cannot see a waiter that polls.
#include "file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "boundary.h"
#include "cancel.h"
#include "retry_backoff.h"

namespace {

// Retries try_lock() (0 or -errno) while the lock is held elsewhere.
template <class Try>
int lock_wait(Try try_lock) {
  return shim::retry_backoff(try_lock, [](int r) { return r == -EAGAIN || r == -EACCES; });  // EWOULDBLOCK == EAGAIN
}

}  // namespace

namespace shim {

int fcntl_lock_wait(int (*real)(int, int, ...), int fd, int cmd, void* fl) {
  if (!green::intercepting()) return real(fd, cmd, fl);
  shim::CancelPoint cp;
  int try_cmd = cmd == F_SETLKW ? F_SETLK : F_OFD_SETLK;
  return shim::syscall_ret(lock_wait([&] { return shim::neg_errno(real(fd, try_cmd, fl)); }));
}

}  // namespace shim

GREEN_EXPORT int flock(int fd, int op) {
  if (!green::intercepting() || (op & LOCK_NB) || (op & ~LOCK_NB) == LOCK_UN) return REAL(flock)(fd, op);
  return shim::syscall_ret(lock_wait([&] { return shim::neg_errno(REAL(flock)(fd, op | LOCK_NB)); }));
}

GREEN_EXPORT int lockf(int fd, int cmd, off_t len) {
  if (!green::intercepting() || cmd != F_LOCK) return REAL(lockf)(fd, cmd, len);
  shim::CancelPoint cp;
  return shim::syscall_ret(lock_wait([&] { return shim::neg_errno(REAL(lockf)(fd, F_TLOCK, len)); }));
}

GREEN_EXPORT int lockf64(int fd, int cmd, off64_t len) {
  if (!green::intercepting()) return REAL(lockf64)(fd, cmd, len);
  return lockf(fd, cmd, len);
}

// lock.cc: flock, lockf: their non-blocking forms, retried (runtime/io/file_lock.h).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "boundary.h"
#include "io/file_lock.h"
#include "thread/cancel.h"

GREEN_EXPORT int flock(int fd, int op) {
  if (!green::intercepting() || (op & LOCK_NB) || (op & ~LOCK_NB) == LOCK_UN) return REAL(flock)(fd, op);
  return shim::syscall_ret(green::file_lock_wait([&] { return shim::neg_errno(REAL(flock)(fd, op | LOCK_NB)); }));
}

GREEN_EXPORT int lockf(int fd, int cmd, off_t len) {
  if (!green::intercepting() || cmd != F_LOCK) return REAL(lockf)(fd, cmd, len);
  green::CancelPoint cp;
  return shim::syscall_ret(green::file_lock_wait([&] { return shim::neg_errno(REAL(lockf)(fd, F_TLOCK, len)); }));
}

GREEN_EXPORT int lockf64(int fd, int cmd, off64_t len) {
  if (!green::intercepting()) return REAL(lockf64)(fd, cmd, len);
  return lockf(fd, cmd, len);
}

// file_lock.cc: flock, lockf and fcntl(F_SETLKW, F_OFD_SETLKW) for green
// threads (the interposers: shim/file/lock.cc).
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
#include "io/file_lock.h"

#include <fcntl.h>

#include <cerrno>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "thread/cancel.h"

namespace green {

int fcntl_lock_wait(int (*real)(int, int, ...), int fd, int cmd, void* fl) {
  if (!intercepting()) return real(fd, cmd, fl);
  CancelPoint cp;
  int try_cmd = cmd == F_SETLKW ? F_SETLK : F_OFD_SETLK;
  int r = file_lock_wait([&] { return neg_errno(real(fd, try_cmd, fl)); });
  if (r >= 0) return r;
  errno = -r;
  return -1;
}

}  // namespace green

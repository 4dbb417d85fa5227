// file_lock.h: blocking file-lock waits (file_lock.cc has the design).
// Green threads only.
#pragma once

#include "io/retry_backoff.h"

namespace green {

// Retries try_lock() (0 or -errno) while the lock is held elsewhere
// (EAGAIN, which is EWOULDBLOCK, or EACCES): 0, -errno or -EINTR.
template <class Try>
int file_lock_wait(Try try_lock) {
  return retry_backoff(try_lock, [](int r) { return r == -EAGAIN || r == -EACCES; });
}

// fcntl(fd, F_SETLKW or F_OFD_SETLKW, fl): the result and errno as libc
// returns them (-1 and errno). real is libc's fcntl or fcntl64.
int fcntl_lock_wait(int (*real)(int, int, ...), int fd, int cmd, void* fl);

}  // namespace green

// file_io.cc: pread, preadv, the fsync family, copy_file_range on regular
// files (the policy: runtime/io/file_read.cc).
#include <fcntl.h>
#include <climits>
#include <unistd.h>

#include "boundary.h"
#include "io/fd_state.h"
#include "io/file_read.h"
#include "io/offload_call.h"
#include "thread/cancel.h"

namespace {

bool is_file(int fd) { return green::fd_state(fd).kind() == green::FdKind::kFile; }

}  // namespace

GREEN_EXPORT ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  // n > SSIZE_MAX fits no iovec: the real call fails at once (EFAULT), as natively
  if (!green::intercepting() || off < 0 || n > static_cast<size_t>(SSIZE_MAX) || !is_file(fd))
    return REAL(pread)(fd, buf, n, off);
  green::CancelPoint cp;
  iovec v{buf, n};
  return shim::syscall_ret(green::file_readv(fd, &v, 1, off));
}

GREEN_EXPORT ssize_t pread64(int fd, void* buf, size_t n, off_t off) {
  if (!green::intercepting()) return REAL(pread64)(fd, buf, n, off);
  return pread(fd, buf, n, off);
}

GREEN_EXPORT ssize_t preadv(int fd, const iovec* iov, int n, off_t off) {
  if (!green::intercepting() || off < 0 || !is_file(fd)) return REAL(preadv)(fd, iov, n, off);
  green::CancelPoint cp;
  return shim::syscall_ret(green::file_readv(fd, iov, n, off));
}

GREEN_EXPORT ssize_t preadv64(int fd, const iovec* iov, int n, off_t off) {
  if (!green::intercepting()) return REAL(preadv64)(fd, iov, n, off);
  return preadv(fd, iov, n, off);
}

GREEN_EXPORT int fsync(int fd) {
  if (!green::intercepting() || !is_file(fd)) return REAL(fsync)(fd);
  green::CancelPoint cp;
  return green::offload_call([&] { return REAL(fsync)(fd); });
}

GREEN_EXPORT int fdatasync(int fd) {
  if (!green::intercepting() || !is_file(fd)) return REAL(fdatasync)(fd);
  green::CancelPoint cp;
  return green::offload_call([&] { return REAL(fdatasync)(fd); });
}

GREEN_EXPORT int syncfs(int fd) {
  if (!green::intercepting()) return REAL(syncfs)(fd);
  return green::offload_call([&] { return REAL(syncfs)(fd); });
}

GREEN_EXPORT void sync(void) {
  if (!green::intercepting()) return REAL(sync)();
  green::offload_call([&] {
    REAL(sync)();
    return 0;
  });
}

GREEN_EXPORT int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
  if (!green::intercepting() || !is_file(fd)) return REAL(sync_file_range)(fd, off, n, flags);
  return green::offload_call([&] { return REAL(sync_file_range)(fd, off, n, flags); });
}

GREEN_EXPORT ssize_t copy_file_range(int in, off64_t* off_in, int out, off64_t* off_out, size_t n,
                                     unsigned int flags) {
  if (!green::intercepting()) return REAL(copy_file_range)(in, off_in, out, off_out, n, flags);
  return green::offload_call([&] { return REAL(copy_file_range)(in, off_in, out, off_out, n, flags); });
}

#include "os/high_fd.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstdint>

#include "os/sys.h"

namespace green {

thread_local int t_high_fds __attribute__((tls_model("initial-exec"))) = 0;

namespace {

constexpr int kTracked = 1 << 20;  // fds past it are never taken for own ones
std::atomic<uint64_t> g_own[kTracked / 64];
std::atomic<int> g_own_max{-1};  // the highest own fd marked so far

}  // namespace

void own_fd_add(int fd) {
  if (fd < 0 || fd >= kTracked) return;
  g_own[fd / 64].fetch_or(uint64_t(1) << (fd % 64), std::memory_order_release);
  int max = g_own_max.load(std::memory_order_relaxed);
  while (fd > max && !g_own_max.compare_exchange_weak(max, fd)) {
  }
}

void own_fd_remove(int fd) {
  if (fd < 0 || fd >= kTracked) return;
  g_own[fd / 64].fetch_and(~(uint64_t(1) << (fd % 64)), std::memory_order_release);
}

bool own_fd(int fd) {
  if (fd < 0 || fd >= kTracked) return false;
  return g_own[fd / 64].load(std::memory_order_acquire) >> (fd % 64) & 1;
}

int own_fd_next(int from, int to) {
  int max = g_own_max.load(std::memory_order_acquire);
  if (from < 0) from = 0;
  if (to > max) to = max;
  for (int fd = from; fd <= to; fd++)
    if (own_fd(fd)) return fd;
  return -1;
}

int high_fd_base() {
  rlimit rl{};
  if (sys::call(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
      rl.rlim_cur < 64)
    return 1024;
  return static_cast<int>(rl.rlim_cur * 3 / 4);
}

int fd_move_high(int fd) {
  if (fd < 0) return fd;
  int high = sys::fcntl(fd, F_DUPFD_CLOEXEC, high_fd_base());
  if (high < 0) {
    own_fd_add(fd);
    return fd;
  }
  sys::close(fd);
  own_fd_add(high);
  return high;
}

}  // namespace green

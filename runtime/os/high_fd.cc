#include "os/high_fd.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "os/sys.h"

namespace green {

thread_local int t_high_fds __attribute__((tls_model("initial-exec"))) = 0;

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
  if (high < 0) return fd;
  sys::close(fd);
  return high;
}

}  // namespace green

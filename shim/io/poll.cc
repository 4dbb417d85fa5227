// poll.cc: poll, ppoll, select, pselect.
//
// Each is a zero-timeout real call, and when nothing is ready, a park on
// every fd of the set (green::wait_any) followed by another zero-timeout
// call, until something is ready or the deadline passes. The real call
// makes every verdict (revents, POLLNVAL, EBADF, EFAULT, EINVAL), so results
// match native exactly; libgreen only decides when to ask.
//
// The signal mask argument of ppoll/pselect applies to the zero-timeout
// checks only; while parked the green thread's mask stays (README,
// limitations).
#include <sys/select.h>

#include <cstring>
#include <vector>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/deadline.h"
#include "io/fd_state.h"
#include "io/wait.h"
#include "io/user_memory.h"

namespace {

const timespec kZero{0, 0};

std::vector<green::FdInterest> interests(const pollfd* fds, nfds_t n) {
  std::vector<green::FdInterest> v;
  v.reserve(n);
  for (nfds_t i = 0; i < n; i++)
    if (fds[i].fd >= 0) v.push_back({fds[i].fd, fds[i].events | POLLERR | POLLHUP, green::fd_peek(fds[i].fd).generation()});
  return v;
}

// check() is the zero-timeout real call: > 0 ready, 0 none, < 0 -errno.
template <class Check>
int wait_loop(const std::vector<green::FdInterest>& set, green::Nanos deadline, Check check) {
  for (;;) {
    int r = check();
    if (r != 0 || green::now() >= deadline) return r;
    int w = green::wait_any(set.data(), set.size(), deadline);
    if (w == -EINTR) return -EINTR;
    if (w == -ETIMEDOUT) return check();
  }
}

int ppoll_green(pollfd* fds, nfds_t n, green::Nanos deadline, const sigset_t* mask) {
  int first = REAL(ppoll)(fds, n, &kZero, mask);
  if (first != 0 || green::now() >= deadline) return first;
  std::vector<green::FdInterest> set = interests(fds, n);
  return shim::syscall_ret(wait_loop(set, deadline, [&] {
    int r = REAL(ppoll)(fds, n, &kZero, mask);
    return r < 0 ? -errno : r;
  }));
}

std::vector<green::FdInterest> interests(int nfds, const fd_set* r, const fd_set* w, const fd_set* e) {
  std::vector<green::FdInterest> v;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
    int ev = (r && FD_ISSET(fd, r) ? POLLIN : 0) | (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
             (e && FD_ISSET(fd, e) ? POLLPRI : 0);
    if (ev) v.push_back({fd, ev | POLLERR | POLLHUP, green::fd_peek(fd).generation()});
  }
  return v;
}

// The program's sets, kept across the zero-timeout checks (each check
// overwrites them). Copied through the kernel, only as many bytes as the
// kernel reads for nfds, so a bad pointer is EFAULT as natively.
struct FdSets {
  fd_set* r;
  fd_set* w;
  fd_set* e;
  fd_set in_r{}, in_w{}, in_e{};
  size_t bytes = 0;
  int save(int nfds) {
    if (nfds < 0) return -EINVAL;
    int n = nfds < FD_SETSIZE ? nfds : FD_SETSIZE;
    bytes = (static_cast<size_t>(n) + 63) / 64 * 8;
    if (r && green::copy_in(&in_r, r, bytes)) return -EFAULT;
    if (w && green::copy_in(&in_w, w, bytes)) return -EFAULT;
    if (e && green::copy_in(&in_e, e, bytes)) return -EFAULT;
    return 0;
  }
  void restore() {
    if (r) memcpy(r, &in_r, bytes);
    if (w) memcpy(w, &in_w, bytes);
    if (e) memcpy(e, &in_e, bytes);
  }
};

int pselect_green(int nfds, FdSets& s, green::Nanos deadline, const sigset_t* mask) {
  if (int rc = s.save(nfds)) return rc;
  std::vector<green::FdInterest> set = interests(nfds, s.r ? &s.in_r : nullptr,
                                                 s.w ? &s.in_w : nullptr, s.e ? &s.in_e : nullptr);
  return wait_loop(set, deadline, [&] {
    s.restore();
    int r = REAL(pselect)(nfds, s.r, s.w, s.e, &kZero, mask);
    return r < 0 ? -errno : r;
  });
}

}  // namespace

GREEN_EXPORT int poll(pollfd* fds, nfds_t n, int timeout) {
  if (!green::intercepting() || timeout == 0) return REAL(poll)(fds, n, timeout);
  green::CancelPoint cp;
  return ppoll_green(fds, n, green::deadline_ms(timeout), nullptr);
}

GREEN_EXPORT int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
  if (!green::intercepting()) return REAL(ppoll)(fds, n, timeout, mask);
  green::CancelPoint cp;
  green::Nanos deadline;
  if (int rc = green::deadline_from_user(timeout, &deadline)) return shim::syscall_ret(rc);
  return ppoll_green(fds, n, deadline, mask);
}

GREEN_EXPORT int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* timeout,
                         const sigset_t* mask) {
  if (!green::intercepting()) return REAL(pselect)(nfds, r, w, e, timeout, mask);
  green::CancelPoint cp;
  green::Nanos deadline;
  if (int rc = green::deadline_from_user(timeout, &deadline)) return shim::syscall_ret(rc);
  FdSets s{r, w, e};
  return shim::syscall_ret(pselect_green(nfds, s, deadline, mask));
}

// Linux's select writes the time left back into *timeout.
GREEN_EXPORT int select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* timeout) {
  if (!green::intercepting()) return REAL(select)(nfds, r, w, e, timeout);
  green::CancelPoint cp;
  green::Nanos deadline = green::kForever;
  if (timeout) {
    timeval tv;
    if (green::copy_in(&tv, timeout, sizeof tv)) return shim::syscall_ret(-EFAULT);
    if (tv.tv_sec < 0 || tv.tv_usec < 0) return shim::syscall_ret(-EINVAL);
    deadline = green::now() + green::Nanos(tv.tv_sec) * 1000000000 + green::Nanos(tv.tv_usec) * 1000;
  }
  FdSets s{r, w, e};
  int rc = pselect_green(nfds, s, deadline, nullptr);
  if (timeout && rc >= 0) {
    green::Nanos left = deadline - green::now();
    if (left < 0) left = 0;
    timeout->tv_sec = left / 1000000000;
    timeout->tv_usec = left % 1000000000 / 1000;
  }
  return shim::syscall_ret(rc);
}

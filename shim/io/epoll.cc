// epoll.cc: epoll_wait, epoll_pwait, epoll_pwait2; epoll_create and
// epoll_create1, whose fd goes high when libuv makes a hub's loop
// (os/high_fd.h).
//
// An epoll fd is itself pollable: it is readable when its own ready list is
// not empty. So a green epoll_wait is a zero-timeout real call, then a park
// on the epoll fd (green::wait_fd), then the real call again. Every result
// and error comes from the real call.
#include "boundary.h"
#include "os/high_fd.h"
#include "thread/cancel.h"
#include "io/deadline.h"
#include "io/user_memory.h"

namespace {

int epoll_green(int epfd, epoll_event* ev, int max, green::Nanos deadline, const sigset_t* mask) {
  for (;;) {
    // epoll_pwait, not epoll_pwait2: glibc before 2.35 has no epoll_pwait2.
    int r = REAL(epoll_pwait)(epfd, ev, max, 0, mask);
    if (r != 0 || green::now() >= deadline) return r;
    int w = green::wait_fd(epfd, POLLIN, deadline);
    if (w == -EINTR) return shim::syscall_ret(-EINTR);
    if (w < 0 && w != -ETIMEDOUT) return shim::syscall_ret(w);
  }
}

}  // namespace

GREEN_EXPORT int epoll_wait(int epfd, epoll_event* ev, int max, int timeout) {
  if (!green::intercepting() || timeout == 0) return REAL(epoll_wait)(epfd, ev, max, timeout);
  green::CancelPoint cp;
  return epoll_green(epfd, ev, max, green::deadline_ms(timeout), nullptr);
}

GREEN_EXPORT int epoll_pwait(int epfd, epoll_event* ev, int max, int timeout, const sigset_t* mask) {
  if (!green::intercepting() || timeout == 0) return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
  green::CancelPoint cp;
  return epoll_green(epfd, ev, max, green::deadline_ms(timeout), mask);
}

GREEN_EXPORT int epoll_pwait2(int epfd, epoll_event* ev, int max, const timespec* timeout,
                              const sigset_t* mask) {
  if (!green::intercepting()) return REAL(epoll_pwait2)(epfd, ev, max, timeout, mask);
  green::CancelPoint cp;
  green::Nanos deadline;
  if (int rc = green::deadline_from_user(timeout, &deadline)) return shim::syscall_ret(rc);
  return epoll_green(epfd, ev, max, deadline, mask);
}

GREEN_EXPORT int epoll_create(int size) {
  int fd = REAL(epoll_create)(size);
  return green::t_high_fds ? green::fd_move_high(fd) : fd;
}

GREEN_EXPORT int epoll_create1(int flags) {
  int fd = REAL(epoll_create1)(flags);
  return green::t_high_fds ? green::fd_move_high(fd) : fd;
}

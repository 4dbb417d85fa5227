// wait.cc: BlockingWait (wait.h), and the runtime API's fd waits.
#include "io/wait.h"

#include "glibc/real.h"
#include "io/fd_view.h"
#include "signal/signal_delivery.h"

namespace green {

BlockingWait::BlockingWait(const FdState& st, int events, Mode mode)
    : ref_(st.fd, st.generation()), events_(events) {
  if (mode == kReadiness) return;
  nonblocking_ = user_nonblocking(st);
  if (!nonblocking_) deadline_ = socket_deadline(st, events);
}

int BlockingWait::wait() {
  set_park_restartable(deadline_ == kForever);  // signal(7): restarted unless timed
  int w = ref_.wait(events_, deadline_);
  return w == -ETIMEDOUT ? -EAGAIN : w;
}

int ready_now(int fd, int events) {
  pollfd p{fd, static_cast<short>(events), 0};
  int n = REAL(poll)(&p, 1, 0);
  if (n < 0) return -errno;
  if (n > 0 && (p.revents & POLLNVAL)) return -EBADF;
  return n;
}

bool read_shut_down(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  return REAL(poll)(&p, 1, 0) > 0 && (p.revents & POLLRDHUP);
}

int wait_fd(int fd, int events, Nanos deadline) {
  FdRef ref(fd, fd_peek(fd).generation());
  return ref.wait(events, deadline);
}

}  // namespace green

// wait.h: the one "wait as a blocking call would" primitive (Go's
// pollDesc.waitRead, Photon's doio_once), and block_on(), a blocking call
// made of non-blocking attempts and that wait.
//
// What a blocking call on an fd does while it waits is decided here, once:
//   - the program made the fd non-blocking itself: no wait, EAGAIN as
//     natively (BlockingWait::program_nonblocking);
//   - SO_RCVTIMEO / SO_SNDTIMEO: a deadline, after which the call fails
//     with EAGAIN as natively;
//   - a signal handler without SA_RESTART ends the wait with EINTR; with
//     SA_RESTART the wait goes on, unless the call has a timeout
//     (signal(7): timed socket calls are never restarted);
//   - a close of the number by another thread: the wait goes on with the
//     file (sched/netpoll.h, INV-FD1); fd() is the number to retry on.
// Mode kReadiness is for waits that are not the program's call on its fd
// (the FIFO open, pipe sides of splice, stdio's look before glibc reads):
// no view, no timeout, restarted after SA_RESTART handlers.
//
// An Attempt is `ssize_t attempt(int fd, bool may_block)`: with may_block
// false it must not block (RWF_NOWAIT, MSG_DONTWAIT, or readiness first)
// and returns >= 0 or -errno, -EAGAIN meaning "would block". With may_block
// true it makes the real call (files, bad fds, fds epoll refuses).
//
// Threading: green threads only; a BlockingWait lives for one call.
#pragma once

#include <poll.h>
#include <sys/types.h>

#include <cerrno>

#include "green.h"
#include "io/fd_state.h"
#include "sched/netpoll.h"

namespace green {

class BlockingWait {
 public:
  enum Mode { kAsTheCall, kReadiness };

  // events: POLLIN or POLLOUT (or POLLPRI); st: the caller's read of fd's state.
  BlockingWait(const FdState& st, int events, Mode mode = kAsTheCall);

  // The program put the fd in non-blocking mode: its call returns EAGAIN.
  bool program_nonblocking() const { return nonblocking_; }
  // The number to make the call on (the private dup after a close).
  int fd() const { return ref_.fd(); }
  // Parks until the fd reports events (or an error or hang-up): the poll
  // bits (> 0); -EAGAIN when the socket timeout passed; -EINTR when a
  // signal handler ended the wait; another -errno when the fd cannot be
  // polled (-EPERM: a regular file): then make the blocking call.
  int wait();

 private:
  FdRef ref_;
  int events_;
  Nanos deadline_ = kForever;
  bool nonblocking_ = false;
};

// Restores errno unless dismissed: a call that succeeds after an attempt
// said EAGAIN leaves errno as the program had it (DESIGN rule 1).
class ErrnoKeeper {
 public:
  ~ErrnoKeeper() { errno = saved_; }

 private:
  int saved_ = errno;
};

// The fd's receive side is shut down (POLLRDHUP now): block_on's test for
// a datagram socket after shutdown(SHUT_RD).
bool read_shut_down(int fd);

// The call as the program sees it: blocks (parks) unless the program asked
// for non-blocking behaviour (user_nowait: MSG_DONTWAIT). Returns >= 0 or
// -errno. Files (regular, block device) never wait for readiness: the real
// call runs inline; read and readv send files to file_readv (file_read.h)
// before this.
template <class Attempt>
ssize_t block_on(const FdState& st, int events, bool user_nowait, Attempt attempt) {
  if (!st.pollable()) return attempt(st.fd, true);
  ssize_t r;
  {
    ErrnoKeeper keep;
    r = attempt(st.fd, false);
    if (r != -EAGAIN || user_nowait) return r;
    BlockingWait w(st, events);
    if (w.program_nonblocking()) return -EAGAIN;
    // A datagram socket shut down for reading polls readable and fails a
    // non-blocking receive, while a blocking one returns 0 at once; its
    // readiness edge may be long gone, so ask before parking (sockets only:
    // one poll() more per receive that waits).
    if ((events & POLLIN) && !st.not_socket() && read_shut_down(st.fd)) return attempt(st.fd, true);
    for (;;) {
      int x = w.wait();
      if (x == -EAGAIN || x == -EINTR) return x;
      if (x < 0) break;
      r = attempt(w.fd(), false);
      if (r != -EAGAIN) return r;
      // ... or shut down while we waited.
      if ((events & POLLIN) && read_shut_down(w.fd())) return attempt(w.fd(), true);
    }
  }
  return attempt(st.fd, true);  // epoll refused the fd: the blocking call, errno its own
}

// For calls with no non-blocking form on this fd: readiness, then the call.
// Safe within one process (nothing runs between the check and the call on
// this hub); another process draining the same file in between can still
// block the hub (README, limitations). -EAGAIN: not ready.
int ready_now(int fd, int events);  // > 0 ready, 0 not, -errno (-EBADF)

template <class Call>
ssize_t when_ready(int fd, int events, Call call) {
  int n = ready_now(fd, events);
  if (n < 0) return n;
  if (n == 0) return -EAGAIN;
  return call();
}

}  // namespace green

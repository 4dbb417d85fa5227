// io_wait.h: one blocking call made of non-blocking attempts (Photon's
// doio_once, Go's fd.Read loop).
//
// An Attempt is `ssize_t attempt(int fd, bool may_block)`: with may_block
// false it must not block (RWF_NOWAIT, MSG_DONTWAIT, or readiness first)
// and returns >= 0 or -errno, -EAGAIN meaning "would block". With may_block
// true it makes the real call (files, bad fds, fds epoll refuses).
//
// The program's own view is kept: an fd the program made non-blocking gets
// EAGAIN as natively; SO_RCVTIMEO/SO_SNDTIMEO turn into a deadline, after
// which the call fails with EAGAIN as natively.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "green.h"
#include "io/fd_table.h"
#include "io/fd_view.h"
#include "sched/netpoll.h"
#include "signal/signal_delivery.h"

namespace green {

template <class Attempt>
ssize_t park_and_retry(int fd, int events, Attempt& attempt) {
  if (user_nonblocking(fd)) return -EAGAIN;
  green::Nanos deadline = socket_deadline(fd, events);
  green::FdRef ref(fd);
  for (;;) {
    green::set_park_restartable(deadline == green::kForever);  // signal(7): restarted unless timed
    int w = ref.wait(events, deadline);
    if (w == -ETIMEDOUT) return -EAGAIN;
    if (w == -EINTR) return -EINTR;
    if (w < 0) return attempt(ref.fd(), true);
    ssize_t r = attempt(ref.fd(), false);
    if (r != -EAGAIN) return r;
  }
}

// The call as the program sees it: blocks (parks) unless the program asked
// for non-blocking behaviour. Returns >= 0 or -errno. Files (regular, block
// device) never wait for readiness: the real call runs inline here; read and
// readv send files to file_readv (file_io.h) before reaching this.
template <class Attempt>
ssize_t block_on(int fd, int events, bool user_nowait, Attempt attempt) {
  if (fd_kind(fd) != FdKind::kPollable) return attempt(fd, true);
  ssize_t r = attempt(fd, false);
  if (r != -EAGAIN || user_nowait) return r;
  return park_and_retry(fd, events, attempt);
}

// For calls with no non-blocking form on this fd: readiness, then the call.
// Safe within one process (nothing runs between the check and the call on
// this hub); another process draining the same file in between can still
// block the hub (README, limitations).
template <class Call>
ssize_t when_ready(int fd, int events, Call call) {
  pollfd p{fd, static_cast<short>(events), 0};
  int n = REAL(poll)(&p, 1, 0);
  if (n < 0) return -errno;
  if (n == 0) return -EAGAIN;
  if (p.revents & POLLNVAL) return -EBADF;
  return call();
}

}  // namespace green

// netpoll.h: waiting for fds (the pollDesc of Go's netpoll.go).
//
// Each hub owns one epoll instance of its own, watched by a single uv_poll_t
// in its libuv loop. Rejected: a uv_poll_t per fd, because uv_poll_init sets
// O_NONBLOCK on the file description, which other processes sharing it
// (stdin, inherited pipes) would see (DESIGN rule 4).
//
// Fds are registered edge-triggered for all events. A waiter parks only
// after its real call said EAGAIN (or a zero-timeout poll said not ready);
// on the same hub no event can be dispatched between that check and the
// park, and an ADD of an already-ready fd reports it at once, so no wake-up
// is lost. Every event wakes every waiter it concerns (several acceptors on
// one listener each retry; the losers park again).
//
// close() while another green thread waits: Linux lets the waiter go on with
// the underlying file. netpoll_close() moves such a watch to a private dup of
// the fd, so the waiter's retries use the old file and never the file a
// reused number names next (INV-FD1). The dup is closed when the last FdRef
// lets go.
//
// Threading: FdRef and netpoll_close are used on green threads of one hub;
// the dispatcher runs on that hub's context.
#pragma once

#include <cstddef>

#include "green.h"

namespace green {

struct FdWatch;

// Pins the watch of one fd across the retries of one call.
class FdRef {
 public:
  explicit FdRef(int fd);
  ~FdRef();
  FdRef(const FdRef&) = delete;
  FdRef& operator=(const FdRef&) = delete;

  // The fd to make the real call on: the program's number, or the private
  // dup after the program closed that number (INV-FD1).
  int fd() const;
  // Parks until the fd reports one of events (POLLIN, POLLOUT, POLLPRI) or
  // an error/hang-up, or until deadline. Returns the poll bits (> 0),
  // -ETIMEDOUT, -EINTR, or the -errno of epoll_ctl (-EPERM: a regular file,
  // which is never "not ready").
  int wait(int events, Nanos deadline);

 private:
  FdWatch* w_;
  int fd_;
};

struct FdInterest {
  int fd;
  int events;
};

// Parks until one of the fds reports one of its events (or an error or
// hang-up), or until deadline. Returns > 0, -ETIMEDOUT or -EINTR. Fds that
// cannot be registered are skipped: the caller's zero-timeout check (poll,
// select) reports those itself.
int wait_any(const FdInterest* fds, size_t n, Nanos deadline);

// The program is closing fd (close, dup2/dup3 over it): forget the
// registration, moving it to a private dup when green threads still wait.
// Call before the real close.
void netpoll_close(int fd);

}  // namespace green

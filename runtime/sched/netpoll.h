// netpoll.h: waiting for fds (the pollDesc of Go's netpoll.go).
//
// Each hub owns one epoll instance of its own, watched by a single uv_poll_t
// in its libuv loop. Rejected: a uv_poll_t per fd, because uv_poll_init sets
// O_NONBLOCK on the file description, which other processes sharing it
// (stdin, inherited pipes) would see (DESIGN rule 4).
//
// Fds are registered edge-triggered for all events, once (Go's netpollopen):
// the registration stays after the wait and serves every later wait on the
// number (INV-FD2). A waiter parks only after its real call said EAGAIN (or
// a zero-timeout poll said not ready); that call ran after the registration
// was in place (later waits) or before the ADD, which reports an
// already-ready fd at once (first wait); on the same hub no event can be
// dispatched between that check and the park. Either way every readiness
// change after the check is an edge the waiter sees: no wake-up is lost.
// An edge arriving while nobody waits is dropped harmlessly: the program
// always retries the real call before it parks again. Every event wakes
// every waiter it concerns (several acceptors on one listener each retry;
// the losers park again).
//
// INV-FD2: a hub's watch is "armed" (registered in its epoll) only for the
// file the number named when it was registered. The number's generation
// (io/fd_state.h) moves whenever the number is closed or made to name
// another file; every wait passes the generation it read, and a watch
// armed at another generation registers again, on every hub. A close nobody reports (glibc closing internally, a
// raw close syscall) followed by a creation nobody reports leaves a stale
// watch: the wait would never see the new file's events (README,
// limitations). A fork drops every registration (netpoll_fork_child).
//
// close() while another green thread waits: Linux lets the waiter go on with
// the underlying file. netpoll_close() moves such a watch to a private dup of
// the fd, so the waiter's retries use the old file and never the file a
// reused number names next (INV-FD1). The dup is closed when the last FdRef
// lets go.
//
// close() on another hub, or on a native thread: every hub that has a
// watch for the number (a bit per hub in a process-wide table) moves it to
// its own private dup before the real close, on its own OS thread, while
// the closer waits (netpoll_close, netpoll_serve_closes); a closer that is
// a hub serves such requests to itself meanwhile, so two hubs closing
// towards each other cannot deadlock.
//
// Threading: FdRef is used on green threads of one hub; the dispatcher and
// netpoll_serve_closes run on that hub's context; netpoll_close on any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "green.h"

namespace green {

struct FdWatch;

// Pins the watch of one fd across the retries of one call. gen: the
// number's generation, read with the rest of its fd state (INV-FD2).
class FdRef {
 public:
  FdRef(int fd, uint32_t gen);
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
  uint32_t gen_;
};

struct FdInterest {
  int fd;
  int events;
  uint32_t gen;  // as for FdRef
};

// Parks until one of the fds reports one of its events (or an error or
// hang-up), or until deadline. Returns > 0, -ETIMEDOUT or -EINTR. Fds that
// cannot be registered are skipped: the caller's zero-timeout check (poll,
// select) reports those itself.
int wait_any(const FdInterest* fds, size_t n, Nanos deadline);

// The program is closing fd (close, dup2/dup3 over it): every hub forgets
// the registration, moving it to a private dup when green threads still
// wait. Call before the real close, with the generation moved on. Any
// thread; waits for the other hubs that watch fd.
void netpoll_close(int fd);

// Hub h's side of other threads' netpoll_close (the inbox's callback).
struct Hub;
void netpoll_serve_closes(Hub* h);

}  // namespace green

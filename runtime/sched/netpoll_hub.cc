#include "sched/netpoll_hub.h"

#include <sys/syscall.h>

#include "os/high_fd.h"
#include "os/sys.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "sched/hub.h"

namespace green {

constexpr int kEventBatch = 256;

// The hub blocks in its own epoll, which also watches libuv's backend fd
// (tagged by a null pointer): socket readiness then costs one epoll_wait,
// not libuv's plus ours, and the loop's own handles (timerfd, inbox and
// signal asyncs, the pool's completions) still wake the hub through it.
static int watch_libuv(Hub* h) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  return epoll_ctl(h->epfd, EPOLL_CTL_ADD, uv_backend_fd(h->loop), &ev) == 0 ? 0 : -errno;
}

int netpoll_init(Hub* h) {
  h->epfd = fd_move_high(static_cast<int>(sys::call(SYS_epoll_create1, EPOLL_CLOEXEC)));
  if (h->epfd < 0) return h->epfd;
  return watch_libuv(h);
}

void netpoll_wait(Hub* h, int timeout_ms) {
  if (h->loop_unsynced) timeout_ms = 0;  // hub.h: libuv has watchers to register
  epoll_event evs[kEventBatch];
  bool loop_ready = timeout_ms == 0;  // a non-blocking pass always runs libuv's too
  int n = sys::epoll_wait(h->epfd, evs, kEventBatch, timeout_ms);
  for (int i = 0; i < n; i++) {
    auto w = static_cast<FdWatch*>(evs[i].data.ptr);
    if (w) netpoll_dispatch(w, evs[i].events);
    else loop_ready = true;
  }
  if (loop_ready || n == 0) {
    h->loop_unsynced = false;
    uv_run(h->loop, UV_RUN_NOWAIT);
  }
}

// The parent's epoll instance is shared after fork: the child closes its
// reference by putting a new instance over the number, never epoll_ctl's it.
// The loop is new too (fork.cc), so its backend is watched afresh.
int netpoll_reopen(Hub* h) {
  int fd = static_cast<int>(sys::call(SYS_epoll_create1, EPOLL_CLOEXEC));
  if (fd < 0) return fd;
  int rc = sys::dup3(fd, h->epfd, O_CLOEXEC);
  sys::close(fd);
  if (rc > 0) rc = 0;
  return rc ? rc : watch_libuv(h);
}

int netpoll_register(Hub* h, int fd, FdWatch* w) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = w;
  if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
  if (errno == EEXIST) {
    // Still registered; refresh the pointer (the watch may be new).
    epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev);
    return 0;
  }
  return -errno;
}

void netpoll_unregister(Hub* h, int fd) { epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, nullptr); }

}  // namespace green

#include "netpoll_hub.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "hub.h"

namespace green {

constexpr int kEventBatch = 256;

static void on_epoll_ready(uv_poll_t* p, int, int) {
  Hub* h = static_cast<Hub*>(p->data);
  epoll_event evs[kEventBatch];
  int n;
  do {
    n = epoll_wait(h->epfd, evs, kEventBatch, 0);
    for (int i = 0; i < n; i++) netpoll_dispatch(static_cast<FdWatch*>(evs[i].data.ptr), evs[i].events);
  } while (n == kEventBatch);
}

int netpoll_init(Hub* h) {
  h->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (h->epfd < 0) return -errno;
  int rc = uv_poll_init(&h->loop, &h->ep_poll, h->epfd);
  if (rc) return rc;
  h->ep_poll.data = h;
  return uv_poll_start(&h->ep_poll, UV_READABLE, on_epoll_ready);
}

// The parent's epoll instance is shared after fork: the child closes its
// reference by putting a new instance over the number, never epoll_ctl's it.
int netpoll_reopen(Hub* h) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = dup3(fd, h->epfd, O_CLOEXEC) < 0 ? -errno : 0;
  close(fd);
  return rc;
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

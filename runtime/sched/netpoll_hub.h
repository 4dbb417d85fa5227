// netpoll_hub.h: a hub's own epoll instance (see netpoll.h). Hub thread only.
#pragma once

#include <cstdint>

namespace green {

struct Hub;
struct FdWatch;

int netpoll_init(Hub* h);                       // 0 or -errno
// Waits up to timeout_ms (-1: no limit) for fds and the libuv loop, wakes
// what is ready, and runs the loop's callbacks once without blocking.
void netpoll_wait(Hub* h, int timeout_ms);
int netpoll_register(Hub* h, int fd, FdWatch* w);  // 0 (also when already there) or -errno
void netpoll_unregister(Hub* h, int fd);
void netpoll_dispatch(FdWatch* w, uint32_t events);
// In a forked child: a new epoll over the same number, no waiters (fork.cc).
int netpoll_fork_child(Hub* h);  // 0 or -errno
int netpoll_reopen(Hub* h);      // netpoll_hub.cc: the epoll part

}  // namespace green

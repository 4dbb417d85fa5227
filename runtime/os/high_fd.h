// high_fd.h: libgreen's own fds, out of the program's way.
//
// Natively a program's first fds are 3, 4, ...; each hub holds several of
// libgreen's (its epoll, its timerfd, its libuv loop's epoll and eventfd),
// which would shift every number the program gets (with 4 hubs its first
// socket was fd 29: a test that dup2()s to a fixed 30 closed its own socket)
// and put libgreen's fds where daemons close "everything from 3 up". So
// libgreen moves each to the top of the fd space, where its private dups
// already live (sched/netpoll.cc): from 3/4 of the soft RLIMIT_NOFILE up.
//
// They are also not the program's to close: close() of one fails with
// EBADF, as it would natively (the program never opened it), and
// close_range/closefrom close around them (shim/io/fd.cc), so the daemon
// idiom "close every fd from 3 up" leaves libgreen working.
//
// Threading: any thread. t_high_fds is per thread (per green thread's
// block, like all TLS); HighFds scopes are made around hub creation only.
// The set of own fds is a bitmap of atomics.
#pragma once

namespace green {

// The lowest number libgreen's own fds take.
int high_fd_base();

// Moves fd to a number >= high_fd_base(), close-on-exec, and closes fd;
// returns the new number, or fd itself if none is free (or fd < 0). The
// result is one of libgreen's own fds.
int fd_move_high(int fd);

// libgreen's own fds: marked when made, unmarked before libgreen closes one.
void own_fd_add(int fd);
void own_fd_remove(int fd);
bool own_fd(int fd);
// The lowest own fd in [from, to], or -1.
int own_fd_next(int from, int to);

// While a HighFds lives on this thread, the fds that libuv makes through
// interposed calls (epoll_create1, eventfd, io_uring_setup) are libgreen's:
// the interposers move them high (shim/io/epoll.cc, shim/sync/syscall.cc).
extern thread_local int t_high_fds __attribute__((tls_model("initial-exec")));

class HighFds {
 public:
  HighFds() { t_high_fds++; }
  ~HighFds() { t_high_fds--; }
  HighFds(const HighFds&) = delete;
  HighFds& operator=(const HighFds&) = delete;
};

}  // namespace green

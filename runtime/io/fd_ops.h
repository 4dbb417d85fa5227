// fd_ops.h: libgreen's fd state across the calls that close, copy or
// re-flag a number (fd_ops.cc). Any thread; the results are libc's (-1 and
// errno) where the call has one.
#pragma once

#include "io/fd_state.h"

namespace green {

// The listener view v (fd_state.h) on fd and on every other number naming
// the same socket: fcntl, FIONBIO and listen change it for the description.
void set_listener_view_shared(int fd, ListenerView v);

// Before the number fd goes (close, dup2/dup3 over it, fclose, pclose): a
// green thread waiting on it goes on with the file (INV-FD1), and every
// hub forgets the number's registration (INV-FD2).
void fd_closing(int fd);
// After the real close: a wait that registered the file meanwhile on
// another hub registers afresh (INV-FD2).
void fd_closed(int fd);

// close_range(first, last, flags) as the program means it: its own fds in
// the range closed (each as close() would: waiters move to private dups,
// fd state forgotten, for numbers up to first + 65535), libgreen's own left
// open (os/high_fd.h), by calls to real() on the gaps between them.
// CLOSE_RANGE_CLOEXEC, or libgreen's own code calling, goes straight to
// real(). 0, or -1 and errno.
using CloseRangeFn = int (*)(unsigned int first, unsigned int last, int flags);
int fd_close_range(unsigned int first, unsigned int last, int flags, CloseRangeFn real);
// fcntl(fd, cmd, arg) through real (libc's fcntl or fcntl64): F_GETFL and
// F_SETFL in the program's own view, F_DUPFD copies the fd state, F_SETLKW
// parks (file_lock.h).
int fd_fcntl(int (*real)(int, int, ...), int fd, int cmd, void* arg);
int fd_getfl(int fd);
int fd_setfl(int fd, long fl);
// ioctl(fd, FIONBIO, arg) in the program's own view.
int fd_fionbio(int fd, void* arg);

}  // namespace green

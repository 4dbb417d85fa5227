// fd_ops.h: libgreen's fd state across the calls that close, copy or
// re-flag a number (fd_ops.cc). Any thread; the results are libc's (-1 and
// errno) where the call has one.
#pragma once

namespace green {

// Before the number fd goes (close, dup2/dup3 over it, fclose, pclose): a
// green thread waiting on it goes on with the file (INV-FD1), and every
// hub forgets the number's registration (INV-FD2).
void fd_closing(int fd);
// After the real close: a wait that registered the file meanwhile on
// another hub registers afresh (INV-FD2).
void fd_closed(int fd);
// fcntl(fd, cmd, arg) through real (libc's fcntl or fcntl64): F_GETFL and
// F_SETFL in the program's own view, F_DUPFD copies the fd state, F_SETLKW
// parks (file_lock.h).
int fd_fcntl(int (*real)(int, int, ...), int fd, int cmd, void* arg);
int fd_getfl(int fd);
int fd_setfl(int fd, long fl);
// ioctl(fd, FIONBIO, arg) in the program's own view.
int fd_fionbio(int fd, void* arg);

}  // namespace green

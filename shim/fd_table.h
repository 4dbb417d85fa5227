// fd_table.h: what libgreen remembers about each fd number.
//
// One byte per fd, in a lazily committed table (a page costs memory only
// once an fd in it is used):
//   kind     unknown / a file (regular file or block device: never "not
//            ready", epoll refuses it) / pollable (socket, pipe, tty, ...).
//            Learnt by fstat on first use; set directly for fds libgreen
//            sees created; cleared when libgreen sees the number closed or
//            replaced (close, dup2, dup3, fclose).
//   listener accept() has no per-call non-blocking flag, so listen() puts
//            the listener's description in O_NONBLOCK mode (a socket this
//            process made, shared only with its own forks, which inherit the
//            table). The program keeps its own view: fcntl(F_GETFL) and
//            ioctl(FIONBIO) read and write the view; exec restores the real
//            flag first (DESIGN rule 4).
//   not-socket  fstat said the fd is no socket (a pipe, a tty): socket
//            options (SO_RCVTIMEO) need not be asked for at every wait.
//
// Threading: each entry is an atomic byte; any thread may read or write it.
#pragma once

namespace shim {

enum class FdKind : unsigned char { kUnknown = 0, kFile = 1, kPollable = 2 };

enum class ListenerView : unsigned char {
  kNotOurs = 0,      // libgreen never changed this fd's flags
  kBlocking = 1,     // libgreen set O_NONBLOCK; the program's view is blocking
  kNonBlocking = 2,  // libgreen set O_NONBLOCK; so did the program
};

// The fd's kind, asking fstat when unknown. kUnknown when fstat fails (a bad
// fd): the caller makes the real call, which reports the native error.
FdKind fd_kind(int fd);
void set_fd_kind(int fd, FdKind k);

ListenerView listener_view(int fd);
void set_listener_view(int fd, ListenerView v);

// True only when fd_kind's fstat found no socket (unknown: false).
bool known_not_socket(int fd);

// The number was closed or now names another file.
void forget_fd(int fd);
// newfd now names what oldfd names (dup, dup2, F_DUPFD).
void copy_fd(int oldfd, int newfd);

}  // namespace shim

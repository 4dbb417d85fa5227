// fd_table.h: what libgreen remembers about each fd number.
//
// One 64-bit word per fd, in a lazily committed table (a page costs memory
// only once an fd in it is used). Low 32 bits, flags:
//   kind     unknown / a file (regular file or block device: never "not
//            ready", epoll refuses it) / pollable (socket, pipe, tty, ...).
//            Learnt by fstat on first use; set directly for fds libgreen
//            sees created; cleared when libgreen sees the number closed or
//            replaced (close, dup2, dup3, fclose, pclose).
//   listener accept() has no per-call non-blocking flag, so listen() puts
//            the listener's description in O_NONBLOCK mode (a socket this
//            process made, shared only with its own forks, which inherit the
//            table). The program keeps its own view: fcntl(F_GETFL) and
//            ioctl(FIONBIO) read and write the view; exec restores the real
//            flag first (DESIGN rule 4).
//   not-socket  fstat said the fd is no socket (a pipe, a tty): socket
//            options (SO_RCVTIMEO) need not be asked for at every wait.
//   description bits (DescBit): the program's O_NONBLOCK and whether the
//            socket has an SO_RCVTIMEO / SO_SNDTIMEO, each "unknown" or
//            known on/off, so a wait need not ask fcntl/getsockopt.
// High 32 bits: the description epoch the description bits were learnt at.
//
// INV-DESC: description bits are valid only while their entry's epoch equals
// the process-wide epoch. The description state lives in the open file
// description (O_NONBLOCK) or the socket (timeouts), which several numbers
// may share (dup, F_DUPFD, SCM_RIGHTS to ourselves), so a change through
// one number cannot update the others: every change the program makes
// (fcntl F_SETFL, ioctl FIONBIO, setsockopt of a timeout, also through
// syscall()) calls desc_changed() AFTER the real call, which invalidates
// every number's bits at once; each relearns with one call at its next
// wait. A learner takes a DescSnapshot BEFORE asking the kernel, so a change
// racing with it leaves the learnt bits stale-marked, never wrong. Not
// seen: another process flipping O_NONBLOCK or a timeout on a description
// it shares with us (README, limitations).
//
// Threading: each entry is an atomic word; any thread may read or write it.
#pragma once

#include <cstdint>

namespace green {

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

// The number was closed or now names another file (also tells netpoll,
// whose registrations of the number on every hub are stale now).
void forget_fd(int fd);
// newfd now names what oldfd names (dup, dup2, F_DUPFD).
void copy_fd(int oldfd, int newfd);
// A number libgreen just saw created (accept): a fresh entry of kind k with
// the program's O_NONBLOCK known.
void fresh_fd(int fd, FdKind k, bool nonblock);

// Description state (INV-DESC).
enum class DescBit : unsigned { kNonBlock = 0, kRcvTimeo = 1, kSndTimeo = 2 };

struct DescSnapshot {
  uint32_t epoch;
  uint32_t flips;  // private flips begun (see begin_private_flip)
  bool quiet;      // no private flip was running
};

// -1 unknown, 0 off, 1 on.
int desc_cached(int fd, DescBit b);
// Take before asking the kernel; learn() stores only what cannot be stale.
DescSnapshot desc_snapshot();
void desc_learn(int fd, const DescSnapshot& s, DescBit b, bool on);
// The program changed some description's O_NONBLOCK or a socket timeout.
void desc_changed();
// libgreen itself sets O_NONBLOCK on a description for a moment (connect)
// and restores it: no learning while that runs.
void begin_private_flip();
void end_private_flip();

}  // namespace green

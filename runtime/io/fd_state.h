// fd_state.h: what libgreen knows about each fd number, in one word (Go's
// pollDesc). An interposer reads it once (fd_state()) and passes the
// snapshot down: the kind decides file-or-pollable, the program's view
// decides EAGAIN-or-park, the cached timeouts give the deadline, and the
// generation tells the poller whether its registration is still for this
// file (sched/netpoll.h, INV-FD2).
//
// One 64-bit word per number, in a lazily committed table (a page costs
// memory only once an fd in it is used):
//   bits 0-1   kind: unknown / a file (regular file, block device,
//              directory: never "not ready", epoll refuses it) / pollable
//              (socket, pipe, tty, ...). Learnt by fstat on first use; set
//              directly for fds libgreen sees created; cleared when
//              libgreen sees the number closed or replaced.
//   bits 2-3   listener view: accept() has no per-call non-blocking flag,
//              so listen() puts the listener's description in O_NONBLOCK
//              mode (a socket this process made, shared only with its own
//              forks). The program keeps its own view: fcntl(F_GETFL) and
//              ioctl(FIONBIO) read and write it; exec restores the real
//              flag first (DESIGN rule 4).
//   bit 4      not-socket: fstat said no socket (a pipe, a tty), so socket
//              options need not be asked for at every wait.
//   bits 8-13  description bits (DescBit): the program's O_NONBLOCK and
//              whether the socket has SO_RCVTIMEO / SO_SNDTIMEO, each
//              "unknown" or known on/off.
//   bits 16-39 the description epoch those bits were learnt at (INV-DESC).
//   bits 40-63 the number's generation: bumped whenever the number is
//              closed or made to name another file (INV-FD2). Kept across
//              a clear; it wraps after 2^24 closes of one number, after
//              which a registration from 2^24 closes ago would look
//              current (not a case programs meet).
//
// INV-DESC: description bits are valid only while their entry's epoch
// equals the process-wide epoch. The description state lives in the open
// file description (O_NONBLOCK) or the socket (timeouts), which several
// numbers may share (dup, F_DUPFD, SCM_RIGHTS to ourselves), so a change
// through one number cannot update the others: every change the program
// makes (fcntl F_SETFL, ioctl FIONBIO, setsockopt of a timeout, also
// through syscall()) calls desc_changed() AFTER the real call, which
// invalidates every number's bits at once; each relearns with one call at
// its next wait. A learner takes a DescSnapshot BEFORE asking the kernel,
// so a change racing with it leaves the learnt bits stale-marked, never
// wrong. Not seen: another process flipping O_NONBLOCK or a timeout on a
// description it shares with us (README, limitations).
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

enum class DescBit : unsigned { kNonBlock = 0, kRcvTimeo = 1, kSndTimeo = 2 };

// One read of a number's word, decoded.
struct FdState {
  int fd = -1;
  uint64_t word = 0;
  FdKind kind() const { return static_cast<FdKind>(word & 0x3); }
  bool pollable() const { return kind() == FdKind::kPollable; }
  ListenerView view() const { return static_cast<ListenerView>((word >> 2) & 0x3); }
  bool not_socket() const { return word & 0x10; }
  uint32_t generation() const { return static_cast<uint32_t>(word >> 40); }
  // -1 unknown (or of another epoch), 0 off, 1 on.
  int desc(DescBit b) const;
};

// The word of fd, learning its kind by fstat when unknown. kind() stays
// kUnknown when fstat fails (a bad fd): the caller makes the real call,
// which reports the native error.
FdState fd_state(int fd);
// The word as it is, learning nothing (no system call): for scans and for
// numbers whose kind does not matter (the generation of a signalfd).
FdState fd_peek(int fd);

void set_fd_kind(int fd, FdKind k);
void set_listener_view(int fd, ListenerView v);

// The number was closed or now names another file: a clear entry and a new
// generation, so every hub registers it afresh at its next wait (INV-FD2).
// Any thread, any time (also before the runtime starts); no system call.
void forget_fd(int fd);
// newfd now names what oldfd names (dup, dup2, F_DUPFD).
void copy_fd(int oldfd, int newfd);
// A number libgreen just saw created (accept): a fresh entry of kind k with
// the program's O_NONBLOCK known.
void fresh_fd(int fd, FdKind k, bool nonblock);

// Description state (INV-DESC).
struct DescSnapshot {
  uint32_t epoch;
  uint32_t flips;  // private flips begun (see begin_private_flip)
  bool quiet;      // no private flip was running
};

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

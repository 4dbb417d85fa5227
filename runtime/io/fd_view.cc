// fd_view.cc: the program's own view of a description, as a wait needs it:
// its O_NONBLOCK (user_nonblocking) and its socket timeouts (socket_deadline),
// kept current by every change the program makes (note_setsockopt, note_raw_syscall).
//
// Both are asked of the kernel once per number and cached in the fd state
// (fd_state.h, INV-DESC), so a read that would block costs no fcntl or
// getsockopt. Only a socket that has a timeout asks getsockopt at each wait,
// for its value.
#include "io/fd_view.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "io/deadline.h"
#include "glibc/real.h"
#include "io/fd_state.h"

namespace {

bool timeout_option(int level, int opt) {
  if (level != SOL_SOCKET) return false;
  switch (opt) {
    case SO_RCVTIMEO:
    case SO_SNDTIMEO:
#if defined(SO_RCVTIMEO_NEW) && defined(SO_RCVTIMEO_OLD)
    case (SO_RCVTIMEO == SO_RCVTIMEO_NEW ? SO_RCVTIMEO_OLD : SO_RCVTIMEO_NEW):
    case (SO_SNDTIMEO == SO_SNDTIMEO_NEW ? SO_SNDTIMEO_OLD : SO_SNDTIMEO_NEW):
#endif
      return true;
    default:
      return false;
  }
}

// The socket's timeout for opt, or false if it has none (or is no socket).
bool socket_timeout(int fd, int opt, timeval* tv) {
  socklen_t len = sizeof *tv;
  *tv = timeval{};
  return getsockopt(fd, SOL_SOCKET, opt, tv, &len) == 0 && (tv->tv_sec != 0 || tv->tv_usec != 0);
}

}  // namespace

namespace green {

void note_setsockopt(int level, int opt) {
  if (timeout_option(level, opt)) desc_changed();
}

bool user_nonblocking(const FdState& st) {
  int fd = st.fd;
  ListenerView v = st.view();
  if (v != ListenerView::kNotOurs) return v == ListenerView::kNonBlocking;
  int c = st.desc(DescBit::kNonBlock);
  if (c >= 0) return c;
  DescSnapshot s = desc_snapshot();
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl < 0) return false;
  desc_learn(fd, s, DescBit::kNonBlock, fl & O_NONBLOCK);
  return fl & O_NONBLOCK;
}

Nanos socket_deadline(const FdState& st, int events) {
  int fd = st.fd;
  if (st.not_socket()) return kForever;  // no SO_RCVTIMEO on a pipe or tty
  bool in = events & POLLIN;
  DescBit b = in ? DescBit::kRcvTimeo : DescBit::kSndTimeo;
  int c = st.desc(b);
  if (c == 0) return green::kForever;
  DescSnapshot s = desc_snapshot();
  timeval tv;
  bool has = socket_timeout(fd, in ? SO_RCVTIMEO : SO_SNDTIMEO, &tv);
  if (c < 0) desc_learn(fd, s, b, has);
  if (!has) return green::kForever;
  timespec rel{tv.tv_sec, tv.tv_usec * 1000};
  return deadline_after(rel);
}

void note_raw_syscall(long nr, const long* a, long r) {
  if (r < 0) return;
  bool changed = (nr == SYS_fcntl && a[1] == F_SETFL) || (nr == SYS_ioctl && a[1] == FIONBIO) ||
                 (nr == SYS_setsockopt && timeout_option(static_cast<int>(a[1]), static_cast<int>(a[2])));
  if (changed) desc_changed();
  if (nr == SYS_close) forget_fd(static_cast<int>(a[0]));
}

}  // namespace green

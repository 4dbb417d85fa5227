// socket.cc: accept, connect, listen.
//
// accept: on a listener libgreen owns (fd_state.h) the description is
// already non-blocking; on any other (inherited) listener, readiness first.
// connect: the non-blocking dance with the socket's own flags restored at
// once (an unconnected socket is this process's alone): EINPROGRESS, park
// until writable (SO_SNDTIMEO bounds it, after which connect fails with
// EINPROGRESS as the kernel's does), then SO_ERROR is the result.
#include <fcntl.h>
#include <poll.h>
#include <sys/time.h>

#include "boundary.h"
#include "green.h"
#include "io/fd_ops.h"
#include "io/fd_state.h"
#include "io/fd_view.h"
#include "io/wait.h"
#include "signal/signal_delivery.h"
#include "thread/cancel.h"

namespace {

int neg(int r) { return r < 0 ? -errno : r; }

// A socket that is not listening (or not a stream socket) makes accept fail
// at once; only a real listener can block.
bool listening(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

// A listener the program sees as blocking is non-blocking underneath
// (listen below): if the file lacks O_NONBLOCK it gets it, and the program's
// view, blocking, goes on every number naming the socket. True when it is
// non-blocking now.
bool keep_listener_nonblocking(int fd) {
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl < 0) return false;
  if (fl & O_NONBLOCK) return true;
  if (REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK) != 0) return false;
  green::set_listener_view_shared(fd, green::ListenerView::kBlocking);
  return true;
}

// A listener with a view is non-blocking, so its accept answers at once;
// it is checked on each call, because a number that held no view (a dup
// racing listen on another hub) could have cleared the flag, and a blocking
// accept would stop the hub (found by the fuzzer on 4 hubs).
int accept_attempt(const green::FdState& st, int fd, sockaddr* a, socklen_t* l, int flags, bool may_block) {
  if (may_block) return neg(REAL(accept4)(fd, a, l, flags));
  if (st.view() != green::ListenerView::kNotOurs) {
    keep_listener_nonblocking(fd);
    return neg(REAL(accept4)(fd, a, l, flags));
  }
  if (!listening(fd)) return neg(REAL(accept4)(fd, a, l, flags));
  return static_cast<int>(green::when_ready(fd, POLLIN, [&] { return neg(REAL(accept4)(fd, a, l, flags)); }));
}

// A native thread (GREEN_NATIVE, libuv's pool, a signal handler) accepting
// on a listener libgreen made non-blocking (listen below) must see what a
// blocking accept does: it waits; SO_RCVTIMEO bounds the wait (then EAGAIN);
// a handler ends it with EINTR unless installed with SA_RESTART on a socket
// without a timeout (the kernel restarts accept then); on success errno is
// left as the program had it. Emulated with poll, which the kernel never
// restarts: the trampoline's record says whether the call would have been.
int accept_native(int fd, sockaddr* a, socklen_t* l, int flags) {
  int saved = errno;
  int r = REAL(accept4)(fd, a, l, flags);
  if (r >= 0 || errno != EAGAIN || green::fd_peek(fd).view() != green::ListenerView::kBlocking) return r;
  timeval tv{};
  socklen_t tl = sizeof tv;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) != 0) tv = timeval{};
  bool timed = tv.tv_sec != 0 || tv.tv_usec != 0;
  green::Nanos deadline = timed ? green::now() + tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL : green::kForever;
  for (;;) {
    int ms = -1;
    if (timed) {
      green::Nanos left = deadline - green::now();
      if (left <= 0) {
        errno = EAGAIN;
        return -1;
      }
      ms = static_cast<int>((left + 999999) / 1000000);
    }
    uint64_t noted = green::signals_noted_here();
    pollfd p{fd, POLLIN, 0};
    if (REAL(poll)(&p, 1, ms) < 0 && errno == EINTR && green::signals_noted_here() != noted &&
        (timed || !green::last_signal_restarts())) {
      errno = EINTR;
      return -1;
    }
    r = REAL(accept4)(fd, a, l, flags);
    if (r >= 0) {
      errno = saved;
      return r;
    }
    if (errno != EAGAIN) return r;
  }
}

int green_accept(int fd, sockaddr* a, socklen_t* l, int flags) {
  if (!green::intercepting()) return accept_native(fd, a, l, flags);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  int r = static_cast<int>(shim::syscall_ret(green::block_on(st, POLLIN, false, [&](int f, bool mb) {
    return static_cast<ssize_t>(accept_attempt(st, f, a, l, flags, mb));
  })));
  if (r >= 0) green::fresh_fd(r, green::FdKind::kPollable, flags & SOCK_NONBLOCK);
  return r;
}

// One connect() on a blocking socket made non-blocking just for the call
// (its own flags are back before we return): 0, -EINPROGRESS/-EALREADY
// (in progress), or the connect error. The flip is private: no O_NONBLOCK
// view is learnt while it lasts (fd_state.h).
int connect_once(int fd, const sockaddr* a, socklen_t len, int fl) {
  green::begin_private_flip();
  REAL(fcntl)(fd, F_SETFL, fl | O_NONBLOCK);
  int r = REAL(connect)(fd, a, len);
  int e = errno;
  REAL(fcntl)(fd, F_SETFL, fl);
  green::end_private_flip();
  return r == 0 ? 0 : -e;
}

}  // namespace

GREEN_EXPORT int accept(int fd, sockaddr* a, socklen_t* l) { return green_accept(fd, a, l, 0); }

GREEN_EXPORT int accept4(int fd, sockaddr* a, socklen_t* l, int flags) { return green_accept(fd, a, l, flags); }

// Connecting again once the socket is writable is how the kernel reports
// the outcome (0, or the error), and it moves the socket to "connected", so a
// later connect() by the program gets EISCONN exactly as natively. The wait
// is a blocking call's (runtime/io/wait.h): SO_SNDTIMEO bounds it (then
// EINPROGRESS, as the kernel's connect says), and an SA_RESTART handler
// does not end it unless a timeout is set (signal(7)).
namespace {

// The dance after the first attempt: 0 or -errno. errno is the program's
// throughout (the attempts' EINPROGRESS never reaches it when the connect
// succeeds); the caller's syscall_ret sets it on failure.
int connect_wait(const green::FdState& st, int fd, const sockaddr* a, socklen_t len, int fl) {
  green::ErrnoKeeper keep;
  int r = connect_once(fd, a, len, fl);
  if (r != -EINPROGRESS && r != -EAGAIN) return r;
  green::BlockingWait w(st, POLLOUT);
  for (;;) {
    int x = w.wait();
    if (x == -EAGAIN) return -EINPROGRESS;
    if (x == -EINTR) return -EINTR;
    r = connect_once(w.fd(), a, len, fl);
    if (r == -EISCONN) return 0;
    if (r != -EALREADY && r != -EINPROGRESS && r != -EAGAIN) return r;
  }
}

}  // namespace

GREEN_EXPORT int connect(int fd, const sockaddr* a, socklen_t len) {
  if (!green::intercepting()) return REAL(connect)(fd, a, len);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  if (!st.pollable() || green::user_nonblocking(st)) return REAL(connect)(fd, a, len);
  int fl = REAL(fcntl)(fd, F_GETFL, 0);
  if (fl < 0 || (fl & O_NONBLOCK)) return REAL(connect)(fd, a, len);
  return shim::syscall_ret(connect_wait(st, fd, a, len, fl));
}

// A listener becomes non-blocking for good (its description is this
// process's own until a fork), so green accepts need no readiness check;
// only while green threads are on: pass-through changes nothing. A listener
// the program made non-blocking itself keeps no view.
GREEN_EXPORT int listen(int fd, int backlog) {
  int r = REAL(listen)(fd, backlog);
  if (r == 0 && green::green_threads_on()) keep_listener_nonblocking(fd);
  return r;
}

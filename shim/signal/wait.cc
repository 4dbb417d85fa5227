// signal_wait.cc: waiting for signals: pause, sigsuspend, sigwait,
// sigwaitinfo, sigtimedwait.
//
// pause/sigsuspend park until a handled signal interrupts them (signal.h).
// The sigwait family takes signals the program blocked (in every thread, as
// POSIX requires, so they stay pending in the kernel: INV-SIG1): a
// zero-timeout sigtimedwait takes one already pending; otherwise a
// signalfd for the set is parked on until one arrives.
#include <sys/signalfd.h>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/deadline.h"
#include "signal/signal_delivery.h"
#include "signal/masks.h"
#include "io/user_memory.h"
#include "io/fd_state.h"

namespace {

// Takes one signal of set: the signal number, -EAGAIN at deadline, -EINTR.
int take_signal(const sigset_t* set, siginfo_t* info, green::Nanos deadline) {
  const timespec zero{0, 0};
  sigset_t s;
  if (green::copy_in(&s, set, sizeof s)) return -EFAULT;
  siginfo_t local;
  siginfo_t* out = info ? info : &local;
  int sig = REAL(sigtimedwait)(&s, out, &zero);
  if (sig > 0 || errno != EAGAIN || green::now() >= deadline) return sig > 0 ? sig : -errno;
  int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return -errno;
  int r;
  for (;;) {
    r = green::wait_fd(fd, POLLIN, deadline);
    if (r < 0) break;
    sig = REAL(sigtimedwait)(&s, out, &zero);
    if (sig > 0) {
      r = sig;
      break;
    }
  }
  green::forget_fd(fd);  // the number is reused: its registration goes (INV-FD2)
  REAL(close)(fd);
  return r == -ETIMEDOUT ? -EAGAIN : r;
}

}  // namespace

GREEN_EXPORT int pause(void) {
  if (!green::intercepting()) return REAL(pause)();
  green::CancelPoint cp;
  green::wait_signal(green::kForever);
  errno = EINTR;
  return -1;
}

GREEN_EXPORT int sigsuspend(const sigset_t* mask) {
  green::Green* g = green::current();
  if (!green::intercepting()) return REAL(sigsuspend)(mask);
  green::CancelPoint cp;
  sigset_t m;
  if (green::copy_in(&m, mask, sizeof m)) return shim::syscall_ret(-EFAULT);
  sigset_t saved = green::green_mask(g);
  uint64_t noted = green::signals_noted_here();
  green::green_sigmask(g, SIG_SETMASK, &m, nullptr);  // a pending signal is handled here...
  if (green::signals_noted_here() == noted) green::wait_signal(green::kForever);  // ...or ends this
  green::green_sigmask(g, SIG_SETMASK, &saved, nullptr);
  errno = EINTR;
  return -1;
}

GREEN_EXPORT int sigtimedwait(const sigset_t* set, siginfo_t* info, const timespec* timeout) {
  if (!green::intercepting()) return REAL(sigtimedwait)(set, info, timeout);
  green::CancelPoint cp;
  green::Nanos deadline;
  if (int rc = green::deadline_from_user(timeout, &deadline)) return shim::syscall_ret(rc);
  return shim::syscall_ret(take_signal(set, info, deadline));
}

GREEN_EXPORT int sigwaitinfo(const sigset_t* set, siginfo_t* info) {
  if (!green::intercepting()) return REAL(sigwaitinfo)(set, info);
  green::CancelPoint cp;
  return shim::syscall_ret(take_signal(set, info, green::kForever));
}

// sigwait is not interrupted by handlers (POSIX: it never fails with EINTR).
GREEN_EXPORT int sigwait(const sigset_t* set, int* sig) {
  if (!green::intercepting()) return REAL(sigwait)(set, sig);
  green::CancelPoint cp;
  for (;;) {
    int r = take_signal(set, nullptr, green::kForever);
    if (r == -EINTR) {
      green::cancel_point();  // a pthread_cancel interrupted it
      continue;
    }
    if (r < 0) return -r;
    *sig = r;
    return 0;
  }
}

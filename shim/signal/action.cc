// action.cc: sigaction, signal, pthread_sigmask, sigprocmask (the design:
// runtime/signal/handlers.cc and masks.cc).
#include <signal.h>

#include "boundary.h"
#include "signal/handlers.h"
#include "signal/masks.h"

GREEN_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (!green::signal_catchable(sig)) return REAL(sigaction)(sig, act, old);
  return shim::syscall_ret(green::signal_install(sig, act, old));
}

// glibc's signal() has BSD semantics: SA_RESTART, handler kept.
GREEN_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  if (!green::signal_catchable(sig)) return REAL(signal)(sig, handler);
  struct sigaction act {}, old{};
  act.sa_handler = handler;
  act.sa_flags = SA_RESTART;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  if (green::signal_install(sig, &act, &old) != 0) {
    errno = EINVAL;
    return SIG_ERR;
  }
  return old.sa_handler;
}

GREEN_EXPORT int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) {
  green::Green* g = green::current();
  if (!g) return REAL(pthread_sigmask)(how, set, old);
  return -green::green_sigmask(g, how, set, old);
}

GREEN_EXPORT int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  green::Green* g = green::current();
  if (!g) return REAL(sigprocmask)(how, set, old);
  return shim::syscall_ret(green::green_sigmask(g, how, set, old));
}

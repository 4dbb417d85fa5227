// handlers.cc: the program's signal handlers, wrapped so that signals end
// parked calls with EINTR (the interposers: shim/signal/action.cc).
//
// sigaction/signal install libgreen's trampoline in place of the program's
// handler; the program still sees its own handler, flags and mask through
// sigaction's old-action argument. The trampoline runs the program's
// handler (interposers pass through meanwhile: DESIGN rule 3) and then tells
// the runtime (green::signal_note), which interrupts the parked call of the
// green thread the kernel would have picked, unless SA_RESTART applies.
//
// Signal masks are per green thread (PosixThread::mask, emulated); the OS
// thread's real mask blocks exactly the signals every green thread of the
// hub blocks, so a signal all of them block stays pending for sigwait,
// signalfd or a later unblock, as natively.
//
// Threading: g_actions is written under g_lock and read by the trampoline
// without it (a torn read can only mix two of the program's own actions for
// one signal; sigaction itself is not async-signal-safe to race with).
#include <signal.h>
#include <sys/syscall.h>

#include <cstring>

#include "glibc/real.h"
#include "sched/machine.h"
#include "sched/passthrough.h"
#include "signal/handlers.h"
#include "signal/signal_delivery.h"
#include "signal/masks.h"
#include "os/spinlock.h"
#include "os/sys.h"
#include "thread/posix_thread.h"
#include "io/user_memory.h"

namespace {

green::SpinLock g_lock;
struct sigaction g_actions[NSIG];  // the program's view, guarded by g_lock
bool g_wrapped[NSIG];              // g_actions[sig] holds a handler we wrap

bool is_handler(const struct sigaction& a) {
  return (a.sa_flags & SA_SIGINFO) || (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN);
}

void trampoline(int sig, siginfo_t* info, void* uc) {
  struct sigaction a = g_actions[sig];
  if (a.sa_flags & SA_RESETHAND) g_wrapped[sig] = false, g_actions[sig].sa_handler = SIG_DFL;
  green::t_passthrough++;
  if (a.sa_flags & SA_SIGINFO) a.sa_sigaction(sig, info, uc);
  else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN) a.sa_handler(sig);
  green::t_passthrough--;
  if (info && info->si_code == SI_TKILL) green::signal_tkill_taken();
  green::signal_note(sig, a.sa_flags & SA_RESTART);
}

// The probe's handler (sched/handoff.cc) stays the real one for its signal;
// a signal that was not a probe gets the program's disposition: its
// handler, nothing for SIG_IGN, and for SIG_DFL the default action
// (SIGRTMAX's ends the process): the real disposition becomes SIG_DFL and
// the signal is sent again, to be taken when this handler returns.
bool forward_probe_signal(int sig, siginfo_t* info, void* uc) {
  if (g_wrapped[sig]) {
    trampoline(sig, info, uc);
    return true;
  }
  if (g_actions[sig].sa_handler == SIG_IGN) return true;
  struct sigaction dfl{};
  dfl.sa_handler = SIG_DFL;
  REAL(sigaction)(sig, &dfl, nullptr);
  green::sys::call(SYS_tgkill, green::sys::call(SYS_getpid), green::sys::gettid(), sig);
  return true;
}

}  // namespace

namespace green {

void signal_handlers_init() { set_probe_forward(forward_probe_signal); }

bool signal_has_handler(int sig) { return sig > 0 && sig < NSIG && g_wrapped[sig]; }

bool signal_catchable(int sig) { return sig > 0 && sig < NSIG && sig != SIGKILL && sig != SIGSTOP; }

int signal_install(int sig, const struct sigaction* act, struct sigaction* old) {
  struct sigaction mine;
  if (act && green::copy_in(&mine, act, sizeof mine)) return -EFAULT;
  green::SpinGuard guard(g_lock);
  struct sigaction prev;
  if (REAL(sigaction)(sig, nullptr, &prev) != 0) return -errno;
  bool probe = probe_active() && sig == probe_signal();
  if (g_wrapped[sig] || probe) prev = g_actions[sig];
  if (act && probe) {
    g_actions[sig] = mine;
    g_wrapped[sig] = is_handler(mine);
  } else if (act) {
    struct sigaction real = mine;
    if (is_handler(mine)) {
      real.sa_sigaction = trampoline;
      real.sa_flags = (mine.sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
    }
    if (REAL(sigaction)(sig, &real, nullptr) != 0) return -errno;
    g_actions[sig] = mine;
    g_wrapped[sig] = is_handler(mine);
  }
  if (old && green::copy_out(old, &prev, sizeof prev)) return -EFAULT;
  return 0;
}

}  // namespace green

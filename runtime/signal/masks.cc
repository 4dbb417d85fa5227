// masks.cc: per-green-thread signal masks, emulated.
//
// The OS thread's real mask is kept equal to the signals that every green
// thread of its hub blocks (INV-SIG1): a signal some green thread accepts is
// delivered to the OS thread and handed on by the runtime (signal.h); one
// they all block stays pending in the kernel, as natively.
//
// Threading: a green thread's mask is read and written on its hub's OS
// thread only.
#include "signal/masks.h"

#include <cerrno>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "signal/signal_delivery.h"
#include "thread/posix_thread.h"
#include "io/user_memory.h"

namespace green {

namespace {

const int kUnblockable[] = {SIGKILL, SIGSTOP};

void intersect(green::Green* g, void* arg) {
  auto all = static_cast<sigset_t*>(arg);
  sigset_t m = green_mask(g);
  sigandset(all, all, &m);
}

// INV-SIG1: recompute the real mask from every green thread's mask.
void sync_real_mask() {
  sigset_t all;
  sigfillset(&all);
  green::for_each_green_here(intersect, &all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, nullptr);
}

bool blocks(green::Green* g, int sig) {
  sigset_t m = green_mask(g);
  return sigismember(&m, sig) == 1;
}

}  // namespace

sigset_t green_mask(green::Green* g) {
  PosixThread* t = posix_thread(g);
  if (!t->has_mask) {
    REAL(pthread_sigmask)(SIG_SETMASK, nullptr, &t->mask);
    t->has_mask = true;
  }
  return t->mask;
}

void set_green_mask(green::Green* g, const sigset_t& mask) {
  PosixThread* t = posix_thread(g);
  t->mask = mask;
  for (int sig : kUnblockable) sigdelset(&t->mask, sig);
  t->has_mask = true;
}

int green_sigmask(green::Green* g, int how, const sigset_t* set, sigset_t* old) {
  sigset_t cur = green_mask(g);
  sigset_t in;
  if (set) {
    if (copy_in(&in, set, sizeof in)) return -EFAULT;
    if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return -EINVAL;
  }
  if (old && copy_out(old, &cur, sizeof cur)) return -EFAULT;
  if (!set) return 0;
  sigset_t next = cur;
  if (how == SIG_BLOCK) sigorset(&next, &cur, &in);
  else if (how == SIG_SETMASK) next = in;
  else
    for (int sig = 1; sig < NSIG; sig++)
      if (sigismember(&in, sig) == 1) sigdelset(&next, sig);
  set_green_mask(g, next);
  sync_real_mask();
  return 0;
}

void signal_state_init() { green::set_blocks_signal(blocks); }

}  // namespace green

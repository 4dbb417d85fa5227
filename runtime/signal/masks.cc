// masks.cc: per-green-thread signal masks, emulated.
//
// INV-SIG1: a hub's real mask (its OS thread's) blocks exactly the signals
// that every green thread it carries blocks. A signal some green thread
// accepts is delivered to the OS thread and handed on by the runtime
// (signal_delivery.h); one they all block stays pending in the kernel, as
// natively, for sigwait or a later unblock. A hub carrying no green thread
// blocks everything (a dedicated hub starts so: sched/hub.cc).
//
// Kept by counting, per hub and signal, the green threads that accept it
// (g_accept): a green thread is counted when it joins its hub's list
// (set_green_join_hook), recounted when its mask changes and uncounted when
// it ends; the real mask is rewritten only when a count crosses zero, so a
// spawn or a mask change costs no system call unless the hub's set of
// accepted signals changes.
//
// Threading: a green thread's mask and its hub's counts are read and
// written on that hub's OS thread only.
#include "signal/masks.h"

#include <cerrno>

#include "glibc/real.h"
#include "sched/hub.h"
#include "sched/passthrough.h"
#include "signal/signal_delivery.h"
#include "thread/posix_thread.h"
#include "io/user_memory.h"

namespace green {

namespace {

const int kUnblockable[] = {SIGKILL, SIGSTOP};
constexpr int kMaxHubs = 256;
constexpr int kSignals = 64;

// Per hub: green threads accepting each signal (hub thread only).
int g_accept[kMaxHubs][kSignals];

bool accepts(const sigset_t& m, int sig) { return sigismember(&m, sig) != 1; }

// INV-SIG1 for the calling OS thread's hub.
void apply(int hub) {
  sigset_t real;
  sigfillset(&real);
  for (int sig = 1; sig < kSignals; sig++)
    if (g_accept[hub][sig] > 0) sigdelset(&real, sig);
  REAL(pthread_sigmask)(SIG_SETMASK, &real, nullptr);
}

// Adds delta to the counts of the signals m accepts; true when one crossed zero.
bool count(int hub, const sigset_t& m, int delta) {
  bool crossed = false;
  for (int sig = 1; sig < kSignals; sig++) {
    if (!accepts(m, sig)) continue;
    int before = g_accept[hub][sig];
    g_accept[hub][sig] += delta;
    crossed |= (before == 0) != (g_accept[hub][sig] == 0);
  }
  return crossed;
}

// g's mask as its hub counts it, moved from old to next.
void recount(PosixThread* t, const sigset_t& old, const sigset_t& next) {
  if (t->mask_hub < 0) return;
  bool a = count(t->mask_hub, old, -1);
  bool b = count(t->mask_hub, next, +1);
  if (a || b) apply(t->mask_hub);
}

void on_join(Green* g) {
  PosixThread* t = posix_thread(g);
  sigset_t m = green_mask(g);
  t->mask_hub = home_hub_index(g);
  if (count(t->mask_hub, m, +1)) apply(t->mask_hub);
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
  sigset_t old = t->mask;
  bool had = t->has_mask;
  t->mask = mask;
  for (int sig : kUnblockable) sigdelset(&t->mask, sig);
  t->has_mask = true;
  if (had) recount(t, old, t->mask);
}

void signal_green_left(Green* g) {
  auto t = static_cast<PosixThread*>(posix_data(g));
  if (!t || t->mask_hub < 0) return;
  if (count(t->mask_hub, t->mask, -1)) apply(t->mask_hub);
  t->mask_hub = -1;
}

void signal_masks_after_fork(Green* keep) {
  for (auto& hub : g_accept)
    for (int& n : hub) n = 0;
  if (!keep) return;
  PosixThread* t = posix_thread(keep);
  t->mask_hub = home_hub_index(keep);
  count(t->mask_hub, green_mask(keep), +1);
  apply(t->mask_hub);
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
  return 0;
}

void signal_state_init() {
  set_blocks_signal(blocks);
  set_green_join_hook(on_join);
}

}  // namespace green

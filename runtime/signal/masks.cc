// masks.cc: per-green-thread signal masks, emulated.
//
// INV-SIG1: a hub's real mask (its OS thread's) blocks exactly the signals
// that every green thread it carries blocks. A signal some green thread
// accepts is delivered to the OS thread and handed on by the runtime
// (signal_delivery.h); one they all block stays pending in the kernel, as
// natively, for sigwait or a later unblock. A hub carrying no green thread
// blocks everything (a dedicated hub starts so: sched/hub.cc).
//
// Kept by counting, per hub, the distinct masks of its green threads
// (g_hubs): a green thread is counted when it joins its hub's list
// (set_green_join_hook), recounted when its mask changes and uncounted when
// it ends or moves to another hub (set_green_leave_hook); the real mask (the AND of the distinct masks) is rewritten only
// when it changes, so a spawn or a mask change costs no system call unless
// the hub's accepted signals change.
//
// Threading: a green thread's mask is read and written by that thread
// only. Its home hub's counts (g_hubs) are changed by it wherever it runs:
// a green thread stolen by another hub changes its mask or ends there. So
// each hub's counts have a spin lock, and the real mask is put on the
// calling OS thread only when that thread is the hub's M; otherwise the hub
// is told to put it itself (Hub::mask_stale, its inbox wakes it). Before
// the lock, two hubs changing one hub's vector at once lost main's entry:
// hub 0 then blocked SIGTERM with main in accept (Debian 11, watchdog test).
#include "signal/masks.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "glibc/real.h"
#include "os/spinlock.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/machine.h"
#include "sched/passthrough.h"
#include "signal/handlers.h"
#include "signal/signal_delivery.h"
#include "thread/posix_thread.h"
#include "io/user_memory.h"

namespace green {

namespace {

const int kUnblockable[] = {SIGKILL, SIGSTOP};
constexpr int kMaxHubs = 256;

// Signals 1..64 as bits sig-1: the kernel's sigset layout, which glibc's
// sigset_t starts with.
uint64_t bits_of(const sigset_t& m) {
  uint64_t w;
  memcpy(&w, &m, sizeof w);
  return w;
}

// Per hub, under its lock: the distinct masks of its counted green
// threads, with how many carry each. Programs have a handful of distinct
// masks, so a join or a leave is a short scan, and a leave recomputes the
// real mask only when the last thread of its mask goes.
struct HubMasks {
  SpinLock lock;  // guards the rest; held across one system call at most
  std::vector<std::pair<uint64_t, int>> masks;
  uint64_t applied = ~uint64_t{0};  // the real mask last set (bits sig-1 blocked)
  bool put = false;                 // applied was put on the OS thread
};
// kMaxHubs of them, made by signal_state_init and never freed. Not a global
// array: libgreen's constructor (shim/init.cc, priority 101) counts the main
// thread before ordinary globals are built, and g++ 10 builds a vector's
// global at run time, which emptied hub 0's counts after main was counted
// (hub 0 then blocked SIGTERM once its other threads ended: the watchdog
// test on Debian 11). Nor may exit() destroy them under running hubs.
HubMasks* g_hubs = nullptr;

// Puts blocked on the calling OS thread, less the probe's signal
// (sched/machine.h), which no hub blocks.
void put_real(uint64_t blocked) {
  sigset_t real;
  sigemptyset(&real);
  memcpy(&real, &blocked, sizeof blocked);
  sigdelset(&real, probe_signal());
  REAL(pthread_sigmask)(SIG_SETMASK, &real, nullptr);
}

// Hub h's real mask becomes blocked: on the calling OS thread when it is
// h's M, else by h's own loop (mask_stale). h.lock held.
void set_real(HubMasks& h, uint64_t blocked) {
  if (blocked == h.applied && h.put) return;
  h.applied = blocked;
  h.put = true;
  Hub* hub = hub_at(static_cast<int>(&h - g_hubs));
  Machine* m = hub ? hub->m.load(std::memory_order_acquire) : nullptr;
  if (!hub || (m && m->tid == sys::gettid())) {
    put_real(blocked);
    return;
  }
  hub->mask_stale.store(true, std::memory_order_release);
  uv_async_send(&hub->inbox_async);
}

// An M takes hub h (sched/machine.h), or h's loop was told its mask is
// stale: h's real mask goes on the calling OS thread.
void on_hub_moved(Hub* hub) {
  HubMasks& h = g_hubs[hub->index];
  SpinGuard g(h.lock);
  put_real(h.applied);
}

void add(HubMasks& h, uint64_t m) {
  SpinGuard g(h.lock);
  for (auto& e : h.masks)
    if (e.first == m) {
      e.second++;
      return;
    }
  h.masks.push_back({m, 1});
  set_real(h, h.applied & m);  // a signal stays blocked by all only if m blocks it too
}

void remove(HubMasks& h, uint64_t m) {
  SpinGuard g(h.lock);
  for (size_t i = 0; i < h.masks.size(); i++) {
    if (h.masks[i].first != m) continue;
    if (--h.masks[i].second > 0) return;
    h.masks[i] = h.masks.back();
    h.masks.pop_back();
    uint64_t blocked = ~uint64_t{0};
    for (auto& e : h.masks) blocked &= e.first;
    set_real(h, blocked);
    return;
  }
}

// g's mask as its hub counts it, moved from old to next.
void recount(PosixThread* t, const sigset_t& old, const sigset_t& next) {
  if (t->mask_hub < 0 || bits_of(old) == bits_of(next)) return;
  HubMasks& h = g_hubs[t->mask_hub];
  add(h, bits_of(next));
  remove(h, bits_of(old));
}

void on_join(Green* g) {
  PosixThread* t = posix_thread(g);
  sigset_t m = green_mask(g);
  t->mask_hub = home_hub_index(g);
  add(g_hubs[t->mask_hub], bits_of(m));
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
  remove(g_hubs[t->mask_hub], bits_of(t->mask));
  t->mask_hub = -1;
}

void signal_masks_after_fork(Green* keep) {
  if (!g_hubs) return;
  for (int i = 0; i < kMaxHubs; i++) {  // the only thread left; a lock a lost thread held is reset
    HubMasks& h = g_hubs[i];
    h.lock.unlock();
    h.masks.clear();
    h.applied = ~uint64_t{0};
    h.put = false;
  }
  if (keep) on_join(keep);
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
  g_hubs = new HubMasks[kMaxHubs];
  set_blocks_signal(blocks);
  set_green_join_hook(on_join);
  set_green_leave_hook(signal_green_left);  // a green thread stolen by another hub (sched/steal.h)
  set_hub_mask_hook(on_hub_moved);
  signal_handlers_init();
}

}  // namespace green

// machine.cc: Ms (OS threads running hubs), spare Ms, and moving a hub
// between them: the monitor's dispatch of a taken hub, a lost green
// thread's take-back, and the hand-back at the top of the hub loop. The
// design note is machine.h; the decision to take a hub is handoff.cc's.
//
// INV-M1: a hub's context runs on at most one OS thread, the one in Hub::m;
// Hub::m changes only while nobody runs the hub's context or a green thread
// of it: from kTaken (by CAS), or in a hand-back, where the releasing M has
// switched out of the hub's context before it grants the request.
// INV-M2: no two OS threads use one thread block: an M's Hub::tp block is
// its own descriptor only until it first turns spare (an adopted green
// thread may live on that descriptor and be resumed by another M), then a
// private one (make_idle).
#include "sched/machine.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>

#include "glibc/real.h"
#include "os/check.h"
#include "os/spinlock.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/passthrough.h"
#include "sched/stack_guard.h"
#include "tls/tcb.h"
#include "tls/thread_pointer.h"

namespace green {

thread_local Lost t_lost __attribute__((tls_model("initial-exec")));

namespace {

constexpr size_t kIdleStackSize = 128 * 1024;  // the spare loop and its block
constexpr size_t kSpareThreadStack = 256 * 1024;

SpinLock g_spare_lock;
Machine* g_spares = nullptr;  // idle spare Ms, under g_spare_lock
HubMaskHook g_mask_hook = nullptr;

void futex_wait(std::atomic<uint32_t>* w, uint32_t val) {
  sys::futex(w, FUTEX_WAIT_PRIVATE, val, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* w) { sys::futex(w, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0); }

void block_all_signals() {
  sigset_t all;
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, nullptr);
}

void spare_push(Machine* m) {
  SpinGuard lock(g_spare_lock);
  m->next_spare = g_spares;
  g_spares = m;
}

Machine* spare_pop() {
  SpinGuard lock(g_spare_lock);
  Machine* m = g_spares;
  if (m) g_spares = m->next_spare;
  return m;
}

// Makes m the M of h, on m's OS thread, running on block running_tp
// (INV-M1: nobody else holds h now).
void hold_hub(Hub* h, Machine* m, char* running_tp) {
  if (!tcb_bound_to(m->tp, m)) tcb_rebind(m->tp, m);  // an adopted thread's block ran elsewhere
  h->m.store(m, std::memory_order_release);
  h->tp = m->tp;
  h->os_thread = m->os_thread;
  h->cur_tp = running_tp;
  if (g_mask_hook) g_mask_hook(h);
}

[[noreturn]] void run_jobs(Machine* me);

// An M's hub left it (a hand-back): back on its own block, taking no
// signal, it tells the green thread it released the hub for, and waits.
void after_hub(Machine* me) {
  tp_set(me->tp);
  t_hub = nullptr;
  block_all_signals();
  if (HandBack* req = me->grant) {
    me->grant = nullptr;
    req->granted.store(1, std::memory_order_release);
    futex_wake(&req->granted);
  }
  spare_push(me);
}

void spare_entry(void* arg) {
  auto me = static_cast<Machine*>(arg);
  after_hub(me);
  run_jobs(me);
}

// A spare waits for a hub and runs its loop from where it stopped; it comes
// back here when it hands the hub back.
[[noreturn]] void run_jobs(Machine* me) {
  for (;;) {
    while (me->wake.exchange(0, std::memory_order_acquire) == 0) futex_wait(&me->wake, 0);
    Hub* h = me->job;
    me->job = nullptr;
    t_hub = h;
    hold_hub(h, me, me->tp);
    context_switch(&me->idle, &h->ctx);
    after_hub(me);
  }
}

// The first time an M that is not a spare thread releases a hub: a private
// block and a small stack for its spare loop (INV-M2).
void make_idle(Machine* me) {
  GREEN_CHECK(stack_map(kIdleStackSize, &me->idle_stack) == 0, "spare stack");
  char* top = nullptr;
  GREEN_CHECK(tcb_new(&me->idle_block, me->idle_stack.lo(), me->idle_stack.hi(), &top) == 0, "spare block");
  tcb_bind_block(&me->idle_block, me->tp, me, nullptr);
  context_make(&me->idle, me->idle_stack.lo(), top - me->idle_stack.lo(), spare_entry, me);
  me->tp = me->idle_block.tp;
  me->idle_made = true;
}

void* spare_main(void* arg) {
  auto me = static_cast<Machine*>(arg);
  me->os_thread = REAL(pthread_self)();
  me->tid = sys::gettid();
  me->tp = tp_get();
  tcb_machine_init(me);
  stack_guard_install_thread();
  me->idle_made = true;  // its idle context is this stack, saved at each job
  run_jobs(me);
  return nullptr;
}

// A new spare thread, started with job h (the monitor's thread calls this).
void spare_start(Hub* h) {
  PassThrough pt;
  auto m = new Machine;
  m->job = h;
  m->wake.store(1, std::memory_order_release);
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  REAL(pthread_attr_setstacksize)(&attr, kSpareThreadStack);
  sigset_t all, old;
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  pthread_t t;
  GREEN_CHECK(REAL(pthread_create)(&t, &attr, spare_main, m) == 0, "spare thread");
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  REAL(pthread_attr_destroy)(&attr);
}

}  // namespace

void set_hub_mask_hook(HubMaskHook hook) { g_mask_hook = hook; }
void hub_mask_refresh(Hub* h) {
  if (g_mask_hook) g_mask_hook(h);
}

Machine* machine_for_this_thread() {
  auto m = new Machine;
  m->os_thread = REAL(pthread_self)();
  m->tid = sys::gettid();
  m->tp = tp_get();
  tcb_machine_init(m);
  return m;
}

void hub_dispatch(Hub* h) {
  Machine* s = spare_pop();
  int taken = kTaken;
  if (!h->hold.compare_exchange_strong(taken, kHeld, std::memory_order_acq_rel)) {
    if (s) spare_push(s);  // the stuck green thread took its hub back first
    return;
  }
  if (!s) return spare_start(h);
  s->job = h;
  s->wake.store(1, std::memory_order_release);
  futex_wake(&s->wake);
}

// Whether a taken hub has work besides the green thread taking it back:
// then a spare must run it first. Read while nobody holds it (kTaken), so
// its run queue is still.
static bool others_waiting(Hub* h) {
  return h->handback_wanted.load(std::memory_order_acquire) || h->runq_len > 0;
}

// INV-M3 (fairness): a lost green thread takes its hub back at once only
// when nothing else waits for the hub; else it queues behind the others
// (FIFO) and a spare runs the hub meanwhile. A green thread that loops
// between a blocking call libgreen cannot see and libgreen (libaio's
// io_getevents, which returns often) would otherwise take the hub back
// every time before a spare could run it, starving its hub.
void hub_take_back() {
  int saved_errno = errno;
  Lost lost = t_lost;
  Hub* h = t_hub;
  PassThrough pt;
  int taken = kTaken;
  bool quick = h->hold.load(std::memory_order_acquire) == kTaken && !others_waiting(h) &&
               h->hold.compare_exchange_strong(taken, kHeld, std::memory_order_acq_rel);
  if (!quick) {
    HandBack req;
    req.m = lost.m;
    {
      SpinGuard lock(h->handback_lock);
      if (h->handback_tail) h->handback_tail->next = &req;
      else h->handback = &req;
      h->handback_tail = &req;
      h->handback_wanted.store(true, std::memory_order_release);
    }
    if (h->hold.load(std::memory_order_acquire) == kTaken) hub_dispatch(h);  // no M runs it yet
    uv_async_send(&h->inbox_async);  // wakes the hub's loop, whose top hands it back
    while (req.granted.load(std::memory_order_acquire) == 0) futex_wait(&req.granted, 0);
  }
  hold_hub(h, lost.m, tp_get());
  h->running = lost.g;
  h->on_cpu.store(lost.g, std::memory_order_release);
  h->lost.store(nullptr, std::memory_order_relaxed);
  t_lost = Lost{};
  errno = saved_errno;
}

void hub_hand_back(Hub* h) {
  HandBack* req;
  {
    SpinGuard lock(h->handback_lock);
    req = h->handback;
    if (!req) return;
    h->handback = req->next;
    if (!h->handback) h->handback_tail = nullptr;
    h->handback_wanted.store(h->handback != nullptr, std::memory_order_release);
  }
  Machine* me = h->m.load(std::memory_order_relaxed);
  me->grant = req;
  if (!me->idle_made) make_idle(me);
  context_switch(&h->ctx, &me->idle);
  // Resumed by the M that holds h now: by the green thread that took it
  // back, when that one parks, yields or ends, or by a spare after it was
  // taken again (h->running is nullptr then).
  switched_back(h, h->running);
}

void machines_after_fork(Hub* h) {
  g_spare_lock.unlock();
  g_spares = nullptr;  // their threads did not survive the fork
  t_lost = Lost{};
  if (!h) return;
  Machine* m = h->m.load(std::memory_order_relaxed);
  m->os_thread = REAL(pthread_self)();
  m->tid = sys::gettid();
  h->os_thread = m->os_thread;
  h->hold.store(kHeld, std::memory_order_relaxed);
  h->handback = h->handback_tail = nullptr;
  h->handback_wanted.store(false, std::memory_order_relaxed);
  h->handback_lock.unlock();
  h->lost.store(nullptr, std::memory_order_relaxed);
  h->probe.store(0, std::memory_order_relaxed);
}

}  // namespace green

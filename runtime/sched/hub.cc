// hub.cc: the scheduler loop and the hub registry (switch.cc: switching and
// park/wake; runq.cc: run queue and inbox; green_life.cc: spawn to join).
//
// The loop (Hub context, never returns):
//   drain the inbox (wakes from other OS threads) -> run the green threads
//   that were ready when the batch began -> wait in the hub's epoll when
//   nothing is ready (netpoll_wait: fds and the libuv loop), else poll it
//   every kBatchesPerPoll batches, so a chain of green threads readying each
//   other cannot starve I/O.
//
// A parking green thread hands the CPU straight to the next ready one a
// bounded number of times before the loop runs again (INV-HUB1 at
// switch_out): park + resume round trip ~235 -> ~95 ns (runtime_switch).
#include "sched/hub.h"
#include "glibc/real.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "os/check.h"
#include "os/high_fd.h"
#include "config/config.h"
#include "sched/machine.h"
#include "sched/netpoll.h"
#include "sched/netpoll_hub.h"
#include "sched/passthrough.h"
#include "sched/steal.h"
#include "signal/signal_delivery.h"
#include "sched/stack_guard.h"
#include "tls/tcb.h"
#include "tls/thread_pointer.h"

namespace green {

constexpr size_t kHubStackSize = 256 * 1024;
constexpr int kMaxHubs = 256;

thread_local Hub* t_hub __attribute__((tls_model("initial-exec"))) = nullptr;
thread_local int t_passthrough __attribute__((tls_model("initial-exec"))) = 0;

// Registry: written under g_registry_lock, read lock-free through g_hubs.
static SpinLock g_registry_lock;
static std::atomic<Hub*> g_hubs[kMaxHubs];
static std::atomic<int> g_hub_count{0};
static std::atomic<uint64_t> g_spawn_cursor{0};
static std::atomic<uint64_t> g_next_id{1};
static std::atomic<long> g_live_greens{0};   // all hubs
static std::atomic<long> g_peak_greens{0};   // the most g_live_greens has been
static ReportHook g_report_hook = nullptr;   // set once, before any request
static std::atomic<int> g_native_wakers{0};
static ExitHook g_exit_hook = nullptr;       // set once at start-up

Hub* block_hub() { return t_hub; }

Hub* this_hub() {
  if (__builtin_expect(t_lost.m != nullptr, 0)) hub_take_back();
  return t_hub;
}
Hub* hub_at(int i) { return i >= 0 && i < g_hub_count.load() ? g_hubs[i].load() : nullptr; }
int hub_count() { return g_hub_count.load(); }
void native_waker_enter() { g_native_wakers.fetch_add(1); }
void native_waker_leave() { g_native_wakers.fetch_sub(1); }
void set_exit_hook(ExitHook hook) { g_exit_hook = hook; }

Green* current() {
  Hub* h = this_hub();
  return h ? h->running : nullptr;
}

bool runtime_context() {
  Hub* h = t_hub;
  return t_passthrough > 0 || (h && !h->running);
}

bool intercepting() {
  Hub* h = t_hub;
  if (!h || t_passthrough != 0) return false;
  if (__builtin_expect(t_lost.m != nullptr, 0)) hub_take_back();
  return h->running != nullptr;
}

uint64_t next_green_id() { return g_next_id.fetch_add(1); }
long live_greens_add(long d) {
  long v = g_live_greens.fetch_add(d) + d;
  long peak = g_peak_greens.load(std::memory_order_relaxed);
  while (v > peak && !g_peak_greens.compare_exchange_weak(peak, v, std::memory_order_relaxed)) {
  }
  return v;
}
long live_greens() { return g_live_greens.load(std::memory_order_relaxed); }
long peak_greens() { return g_peak_greens.load(std::memory_order_relaxed); }
uint64_t greens_created() { return g_next_id.load(std::memory_order_relaxed) - 1; }
ExitHook exit_hook() { return g_exit_hook; }
void set_report_hook(ReportHook hook) { g_report_hook = hook; }
bool native_wakers() { return g_native_wakers.load() != 0; }

void drain_inbox(Hub* h) {
  netpoll_serve_closes(h);
  if (h->report_req.load(std::memory_order_acquire) && g_report_hook) g_report_hook(h);
  if (h->steal_req.load(std::memory_order_relaxed)) steal_serve(h);
  Green* g = h->inbox.take_fifo();
  while (g) {
    Green* next = g->inbox_next;
    if (g->state == GreenState::kNew) {  // spawned for this hub, or stolen by it (steal.h)
      if (g->tcb_bound) tcb_set_hub(g->tp, h);
      h->add_green(g);
      g->state = GreenState::kRunnable;
      h->runq_push(g);
    } else {
      wake_local(h, g, g->inbox_seq, g->inbox_result);
    }
    g = next;
  }
}

void on_inbox(uv_async_t* a) { drain_inbox(static_cast<Hub*>(a->data)); }

// Hub side of a switch back from g (it parked, yielded or ended).
// g is nullptr when a spare M resumes the context of a hub whose green thread
// a hand-off detached (machine.h).
void switched_back(Hub* h, Green* g) {
  h->running = nullptr;
  if (!g) return;
  h->on_cpu.store(nullptr, std::memory_order_relaxed);
  if (g->state == GreenState::kExiting) finish_exit(h, g);
}

static void resume(Hub* h, Green* g) {
  make_running(h, g);
  h->hand_offs_left = kHandOffs;
  context_switch(&h->ctx, &g->ctx);
  switched_back(h, h->running);
}

// ---- the loop ----

static void report_deadlock(Hub* h);

static bool deadlocked(Hub* h) {
  return h->n_parked > 0 && h->n_parked == h->n_green && h->n_parked_external == 0 &&
         h->n_offloads == 0 && h->timers.empty() && h->runq_len == 0 &&
         hub_count() == 1 && !native_wakers();
}

static void run_batch(Hub* h) {
  for (size_t n = h->runq_len; n > 0; n--) {
    Green* g = h->runq_pop();
    if (!g) break;
    resume(h, g);
  }
}

// While green threads stay runnable the loop is polled without blocking
// only every kBatchesPerPoll batches: a poll is a system call, and polling
// after every batch made a switch between two runnable green threads cost
// ~250 ns instead of ~60 (reading the clock instead costs as much as a
// switch on a VM). A batch runs every green thread runnable at its start,
// so I/O readiness and timers wait at most that many turns of each behind a
// run queue that never empties; Go's scheduler bounds it likewise.
constexpr int kBatchesPerPoll = 16;

[[noreturn]] void hub_loop(Hub* h) {
  int batches = 0;
  for (;;) {
    if (h->handback_wanted.load(std::memory_order_acquire)) hub_hand_back(h);
    if (h->mask_stale.load(std::memory_order_relaxed) && h->mask_stale.exchange(false)) hub_mask_refresh(h);
    drain_inbox(h);
    run_batch(h);
    drain_inbox(h);
    if (h->runq_len > 0) {
      if (++batches >= kBatchesPerPoll) {
        netpoll_wait(h, 0);
        batches = 0;
      }
      continue;
    }
    if (deadlocked(h)) report_deadlock(h);
    if (g_steal) steal_ask(h);  // the answer comes through the inbox, ending the wait
    netpoll_wait(h, uv_backend_timeout(h->loop));
    batches = 0;
  }
}

// The hub's context starts on the first switch out of the adopted thread,
// which is not inside resume(): finish that switch here.
void hub_entry(void* arg) {
  auto h = static_cast<Hub*>(arg);
  switched_back(h, h->running);
  hub_loop(h);
}

int hub_loop_init(Hub* h) {
  h->loop = new uv_loop_t;
  int rc = uv_loop_init(h->loop);
  if (rc != 0) return rc;
  h->loop->data = h;
  rc = uv_async_init(h->loop, &h->inbox_async, on_inbox);
  h->inbox_async.data = h;
  return rc;
}

static Hub* hub_create() {
  if (const char* missing = tcb_init()) fatal("libgreen: this glibc lacks %s: no green thread can start", missing);
  HighFds libgreens_own;  // libuv's fds for this loop go high too (os/high_fd.h)
  auto h = new Hub;
  GREEN_CHECK(hub_loop_init(h) == 0, "uv_loop_init");
  GREEN_CHECK(h->timers.init(h->loop) == 0, "timerfd");
  GREEN_CHECK(netpoll_init(h) == 0, "epoll");
  GREEN_CHECK(signal_hub_init(h) == 0, "uv_async_init");
  SpinGuard lock(g_registry_lock);
  int i = g_hub_count.load();
  GREEN_CHECK(i < kMaxHubs, "too many hubs");
  h->index = i;
  g_hubs[i].store(h);
  g_hub_count.store(i + 1);
  return h;
}

void adopt_current_thread() {
  if (t_hub) return;
  PassThrough pt;
  config_load();
  Hub* h = hub_create();
  GREEN_CHECK(stack_map(kHubStackSize, &h->ctx_stack) == 0, "hub stack");
  context_make(&h->ctx, h->ctx_stack.lo(), h->ctx_stack.usable(), hub_entry, h);
  auto g = new Green;
  g->id = g_next_id.fetch_add(1);
  g->hub = h;
  g->state = GreenState::kRunning;
  REAL(pthread_getname_np)(REAL(pthread_self)(), g->name, sizeof g->name);
  h->running = g;
  h->on_cpu.store(g, std::memory_order_release);
  h->os_thread = REAL(pthread_self)();
  h->m.store(machine_for_this_thread(), std::memory_order_release);
  h->add_green(g);
  h->placed.fetch_add(1, std::memory_order_relaxed);
  live_greens_add(1);
  tcb_adopt(h, g);
  stack_guard_install_thread();
  t_hub = h;
}

static void* dedicated_hub_main(void* arg) {
  auto h = static_cast<Hub*>(arg);
  t_hub = h;
  h->os_thread = REAL(pthread_self)();
  tcb_adopt(h, nullptr);
  h->m.store(machine_for_this_thread(), std::memory_order_release);
  stack_guard_install_thread();
  hub_loop(h);
}

Hub* start_hub_thread(int) {
  PassThrough pt;
  Hub* h = hub_create();
  pthread_t tid;
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // A hub carrying no green thread blocks every signal (INV-SIG1,
  // signal/masks.cc): the kernel must not pick it for a signal the
  // program's threads block. Its green threads' masks open it up.
  sigset_t all, old;
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  GREEN_CHECK(REAL(pthread_create)(&tid, &attr, dedicated_hub_main, h) == 0, "hub thread");
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  REAL(pthread_attr_destroy)(&attr);
  return h;
}

// Single-threaded in the child: the other hubs' OS threads did not survive
// the fork, and the lock may have been held by one of them.
void registry_fork_child(Hub* h, long greens) {
  g_registry_lock.unlock();
  for (auto& slot : g_hubs) slot.store(nullptr);
  g_hub_count.store(h ? 1 : 0);
  if (h) {
    h->index = 0;
    h->placed.store(greens, std::memory_order_relaxed);
    g_hubs[0].store(h);
  }
  g_spawn_cursor.store(0);
  g_steal = false;  // one hub
  g_live_greens.store(greens);
  g_peak_greens.store(greens);
  g_native_wakers.store(0);
}

// The caller's own hub while it carries at most one green thread more than
// the least loaded one (a start there costs no cross-thread wake: create +
// join 0.8 us instead of ~100 us); else the least loaded, scanning from a
// random hub so that ties fall anywhere (past 16 hubs: the less loaded of
// two random ones, the power of two choices). Counts stay even within one,
// and threads that differ in weight but arrive in a pattern (every 4th
// connection heavy) are not all put on one hub, as round-robin put them
// (issue #12). A green thread stays on its hub.
Hub* pick_hub_for_spawn(Hub* caller) {
  int n = g_hub_count.load();
  if (n <= 1) return caller;
  uint64_t r = g_spawn_cursor.fetch_add(1) * 0x9e3779b97f4a7c15ull;
  r ^= r >> 29;
  auto load = [](Hub* h) { return h ? h->placed.load(std::memory_order_relaxed) : LONG_MAX; };
  Hub* best = nullptr;
  if (n <= 16) {
    for (int k = 0, start = static_cast<int>((r >> 8) % n); k < n; k++) {
      Hub* h = g_hubs[(start + k) % n].load();
      if (h && (!best || load(h) < load(best))) best = h;
    }
  } else {
    Hub* a = g_hubs[(r >> 8) % n].load();
    Hub* b = g_hubs[(r >> 40) % n].load();
    best = load(b) < load(a) ? b : a;
  }
  if (!best) return caller;
  if (caller && load(caller) <= load(best) + 1) return caller;
  return best;
}

static void report_deadlock(Hub* h) {
  report("libgreen: all green threads are asleep - deadlock!");
  report("libgreen: %zu green thread(s) parked on hub %d, none waiting on I/O, a timer or a signal:",
         h->n_parked, h->index);
  for (Green* g = h->all; g; g = g->all_next)
    report("  green thread %llu \"%s\" [%s]", static_cast<unsigned long long>(g->id), g->name,
           wait_reason_text(g->why));
  _exit(2);
}

}  // namespace green


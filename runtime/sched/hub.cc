// hub.cc: the scheduler loop, park/wake, and the hub registry.
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
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "os/check.h"
#include "config/config.h"
#include "sched/netpoll_hub.h"
#include "sched/passthrough.h"
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
static std::atomic<int> g_spawn_cursor{0};
static std::atomic<uint64_t> g_next_id{1};
static std::atomic<long> g_live_greens{0};   // all hubs
static std::atomic<int> g_native_wakers{0};
static ExitHook g_exit_hook = nullptr;       // set once at start-up

Hub* this_hub() { return t_hub; }
Hub* hub_at(int i) { return i >= 0 && i < g_hub_count.load() ? g_hubs[i].load() : nullptr; }
int hub_count() { return g_hub_count.load(); }
void native_waker_enter() { g_native_wakers.fetch_add(1); }
void native_waker_leave() { g_native_wakers.fetch_sub(1); }
void set_exit_hook(ExitHook hook) { g_exit_hook = hook; }

Green* current() {
  Hub* h = t_hub;
  return h ? h->running : nullptr;
}

bool intercepting() {
  Hub* h = t_hub;
  return h && h->running && t_passthrough == 0;
}

// ---- inbox ----

void Inbox::push(Green* g) {
  Green* old = head_.load(std::memory_order_relaxed);
  do {
    g->inbox_next = old;
  } while (!head_.compare_exchange_weak(old, g, std::memory_order_release, std::memory_order_relaxed));
}

Green* Inbox::take_fifo() {
  if (!head_.load(std::memory_order_relaxed)) return nullptr;  // the common case: no locked op
  Green* lifo = head_.exchange(nullptr, std::memory_order_acquire);
  Green* fifo = nullptr;
  while (lifo) {
    Green* next = lifo->inbox_next;
    lifo->inbox_next = fifo;
    fifo = lifo;
    lifo = next;
  }
  return fifo;
}

// ---- run queue ----

void Hub::runq_push(Green* g) {
  g->runq_next = nullptr;
  if (runq_tail) runq_tail->runq_next = g;
  else runq_head = g;
  runq_tail = g;
  runq_len++;
}

Green* Hub::runq_pop() {
  Green* g = runq_head;
  if (!g) return nullptr;
  runq_head = g->runq_next;
  if (!runq_head) runq_tail = nullptr;
  runq_len--;
  return g;
}

void Hub::add_green(Green* g) {
  g->all_prev = nullptr;
  g->all_next = all;
  if (all) all->all_prev = g;
  all = g;
  n_green++;
}

void Hub::remove_green(Green* g) {
  if (g->all_prev) g->all_prev->all_next = g->all_next;
  else all = g->all_next;
  if (g->all_next) g->all_next->all_prev = g->all_prev;
  n_green--;
}

// ---- switching (INV-TCB1, INV-HUB1) ----

// The hub runs on the block of the green thread it last ran (INV-TCB1), so
// a switch moves the thread pointer once, when the next green thread is
// another one's (wrfsbase costs ~15 ns here). The hub's own code touches
// TLS only through errno (saved in switch_out), t_hub (the same in every
// block of the hub) and balanced PassThrough counts.
static void use_block(Hub* h, char* tp) {
  if (h->cur_tp == tp) return;
  tp_set(tp);
  h->cur_tp = tp;
}

// Makes g the running green thread; the caller switches to it next.
static void make_running(Hub* h, Green* g) {
  h->running = g;
  h->resumes.store(h->resumes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  h->on_cpu.store(g, std::memory_order_release);
  g->state = GreenState::kRunning;
  if (!g->tcb_bound) tcb_bind(h, g);
  use_block(h, g->tp);
}

// INV-HUB1: a parking or yielding green thread hands the CPU straight to
// the next runnable one, one switch instead of two through the hub, at most
// kHandOffs times in a row: then the hub runs, so cross-thread wakes, timers
// and I/O are seen as often as without hand-offs (kBatchesPerPoll). The hub
// finishes whichever green thread switched to it: h->running, as a hand-off
// makes its target the running one before the switch.
constexpr int kHandOffs = 32;

void switch_out(Green* g) {
  Hub* h = g->hub;
  g->saved_errno = errno;
  Green* next = nullptr;
  if (h->hand_offs_left > 0) {
    h->hand_offs_left--;
    next = h->runq_pop();
  }
  if (next == g) {
    make_running(h, g);  // yielded with nobody else runnable
  } else if (next) {
    make_running(h, next);
    context_switch(&g->ctx, &next->ctx);
  } else {
    context_switch(&g->ctx, &h->ctx);
  }
  errno = g->saved_errno;
}

// ---- park / wake ----

uint64_t park_seq(const Green* g) { return g->park_seq; }

int park(WaitReason why) {
  Hub* h = t_hub;
  Green* g = h->running;
  GREEN_CHECK(g, "park outside a green thread");
  g->state = GreenState::kParked;
  g->why = why;
  h->n_parked++;
  if (wait_reason_external(why)) h->n_parked_external++;
  switch_out(g);
  return g->wake_result;
}

// The one timed park: every wait with a deadline is this (sleeps, fd
// waits, joins) or park_with_timer (a wait whose timeout must claim
// something first: the parking lot's).
int park_until(WaitReason why, Nanos deadline, bool interruptible, int timeout_result) {
  Green* g = t_hub->running;
  ParkTimer t(g, timeout_result);
  t.deadline = deadline;
  return park_with_timer(why, &t, interruptible);
}

int park_with_timer(WaitReason why, TimerNode* t, bool interruptible) {
  Hub* h = t_hub;
  Green* g = h->running;
  GREEN_CHECK(g, "park outside a green thread");
  if (t && t->deadline != kForever) h->timers.add(t);
  g->interruptible = interruptible;
  int r = park(why);
  if (t) h->timers.remove(t);
  return r;
}

void wake_local(Hub* h, Green* g, uint64_t seq, int result) {
  if (g->state != GreenState::kParked || g->park_seq != seq) return;  // stale
  g->park_seq++;
  g->wake_result = result;
  g->interruptible = false;
  g->restartable = false;
  g->state = GreenState::kRunnable;
  h->n_parked--;
  if (wait_reason_external(g->why)) h->n_parked_external--;
  h->runq_push(g);
}

void wake(Green* g, uint64_t seq, int result) {
  Hub* h = g->hub;
  if (t_hub == h) {
    wake_local(h, g, seq, result);
    return;
  }
  g->inbox_seq = seq;
  g->inbox_result = result;
  h->inbox.push(g);
  PassThrough pt;
  uv_async_send(&h->inbox_async);
}

void interrupt(Green* g) {
  if (g->state == GreenState::kParked && g->interruptible)
    wake_local(g->hub, g, g->park_seq, -EINTR);
}

void yield() {
  Hub* h = t_hub;
  Green* g = h->running;
  g->state = GreenState::kRunnable;
  h->runq_push(g);
  switch_out(g);
}

static void drain_inbox(Hub* h) {
  Green* g = h->inbox.take_fifo();
  while (g) {
    Green* next = g->inbox_next;
    if (g->state == GreenState::kNew) {
      h->add_green(g);
      g->state = GreenState::kRunnable;
      h->runq_push(g);
    } else {
      wake_local(h, g, g->inbox_seq, g->inbox_result);
    }
    g = next;
  }
}

static void on_inbox(uv_async_t* a) { drain_inbox(static_cast<Hub*>(a->data)); }

// ---- green thread lifecycle ----

static void finish_exit(Hub* h, Green* g);

// The magic is cleared so a stale pthread_t is not taken for a live thread.
static void release_green(Green* g) {
  g->magic = 0;
  delete g;
}

// Hub side of a switch back from g (it parked, yielded or ended).
static void switched_back(Hub* h, Green* g) {
  h->running = nullptr;
  h->on_cpu.store(nullptr, std::memory_order_relaxed);
  if (g->state == GreenState::kExiting) finish_exit(h, g);
}

static void resume(Hub* h, Green* g) {
  make_running(h, g);
  h->hand_offs_left = kHandOffs;
  context_switch(&h->ctx, &g->ctx);
  switched_back(h, h->running);
}

static void green_entry(void* arg) {
  auto g = static_cast<Green*>(arg);
  tcb_thread_start();
  exit_current(g->fn(g->arg));
}

void exit_current(void* result) {
  Hub* h = t_hub;
  Green* g = h->running;
  GREEN_CHECK(g, "exit_current outside a green thread");
  g->result = result;
  if (g_exit_hook) g_exit_hook(g);
  g->state = GreenState::kExiting;
  use_block(h, h->tp);  // g's block goes with its stack
  context_switch(&g->ctx, &h->ctx);
  fatal("libgreen: internal error: an exited green thread was resumed");
}

// Hub side of a green thread's end: its stack is free once we are off it.
// After join_lock is released the joiner may delete g at any time.
static void finish_exit(Hub* h, Green* g) {
  tcb_free(g);
  if (g->stack.map) h->stacks.put(g->stack);
  g->stack = Stack{};
  h->remove_green(g);
  g->join_lock.lock();
  g->state = GreenState::kDead;
  g->finished = true;
  bool detached = g->detached;
  Green* joiner = g->joiner;
  uint64_t joiner_seq = g->joiner_seq;
  g->join_lock.unlock();
  if (detached) release_green(g);
  else if (joiner) wake(joiner, joiner_seq, 0);
  if (g_live_greens.fetch_sub(1) == 1) exit(0);  // the last thread ended: exit(0) as natively
}

static int choose_hub(const SpawnAttr& attr, Hub** out) {
  Hub* h = attr.hub >= 0 ? hub_at(attr.hub) : pick_hub_for_spawn(t_hub);
  if (!h) return -EINVAL;
  *out = h;
  return 0;
}

int spawn(void* (*fn)(void*), void* arg, const SpawnAttr& attr, Green** out) {
  adopt_current_thread();
  Hub* h = nullptr;
  if (int rc = choose_hub(attr, &h)) return rc;
  auto g = new (std::nothrow) Green;
  if (!g) return -EAGAIN;
  size_t size = attr.stack_size ? attr.stack_size : config().stack_size;
  Hub* alloc_hub = t_hub;  // stacks come from the caller's pool (hub thread only)
  int rc = alloc_hub->stacks.get(size, attr.guard_size, &g->stack);
  if (rc) {
    delete g;
    return rc == -ENOMEM ? -EAGAIN : rc;
  }
  char* stack_top = nullptr;
  if (tcb_new(g, g->stack.lo(), g->stack.hi(), &stack_top) != 0) {
    alloc_hub->stacks.put(g->stack);
    delete g;
    return -EAGAIN;
  }
  g->id = g_next_id.fetch_add(1);
  g->hub = h;
  g->fn = fn;
  g->arg = arg;
  g->detached = attr.detached;
  context_make(&g->ctx, g->stack.lo(), stack_top - g->stack.lo(), green_entry, g);
  g_live_greens.fetch_add(1);
  *out = g;
  if (h == t_hub) {
    h->add_green(g);
    h->runq_push(g);
  } else {
    g->state = GreenState::kNew;
    h->inbox.push(g);
    PassThrough pt;
    uv_async_send(&h->inbox_async);
  }
  return 0;
}

int join(Green* t, void** result) { return join_until(t, result, kForever); }

// A timed-out joiner takes its registration back under join_lock; a wake
// finish_exit() sent before that is stale by then (park_seq moved on).
int join_until(Green* t, void** result, Nanos deadline) {
  Green* me = current();
  if (t == me) return -EDEADLK;
  t->join_lock.lock();
  if (t->detached || (t->joiner && t->joiner != me)) {
    t->join_lock.unlock();
    return -EINVAL;
  }
  if (!t->finished) {
    if (!me) {
      t->join_lock.unlock();
      return -EBUSY;  // callers on native threads poll (shim/thread/thread.cc)
    }
    t->joiner = me;
    t->joiner_seq = park_seq(me);
    t->join_lock.unlock();
    // Interruptible: pthread_join is a cancellation point (thread/cancel.h).
    int r = park_until(WaitReason::kJoin, deadline, true);
    if (r == -ETIMEDOUT || r == -EINTR) {
      SpinGuard g(t->join_lock);
      if (!t->finished) {
        t->joiner = nullptr;
        return r;
      }
    }
  } else {
    t->join_lock.unlock();
  }
  if (result) *result = t->result;
  release_green(t);
  return 0;
}

int try_join(Green* t, void** result) {
  t->join_lock.lock();
  bool busy = !t->finished;
  bool invalid = t->detached || t->joiner;
  t->join_lock.unlock();
  if (invalid) return -EINVAL;
  if (busy) return -EBUSY;
  return join(t, result);
}

int detach(Green* t) {
  t->join_lock.lock();
  if (t->detached || t->joiner) {
    t->join_lock.unlock();
    return -EINVAL;
  }
  t->detached = true;
  bool finished = t->finished;
  t->join_lock.unlock();
  if (finished) release_green(t);
  return 0;
}

Green* green_from_handle(const void* handle) {
  auto g = static_cast<Green*>(const_cast<void*>(handle));
  return g && g->magic == kGreenMagic ? g : nullptr;
}
void*& posix_data(Green* g) { return g->posix_data; }

void for_each_green_here(void (*fn)(Green* g, void* arg), void* arg) {
  for (Green* g = t_hub->all; g; g = g->all_next) fn(g, arg);
}
unsigned long hub_os_thread(const Green* g) { return g->hub->os_thread; }
int home_hub_index(const Green* g) { return g->hub->index; }
bool on_this_hub(const Green* g) { return g->hub == t_hub; }
bool green_detached(const Green* g) { return g->detached; }
bool green_finished(const Green* g) { return g->finished; }

uint64_t green_id(const Green* g) { return g->id; }
const char* green_name(const Green* g) { return g->name; }
void set_green_name(Green* g, const char* name) {
  strncpy(g->name, name, sizeof g->name - 1);
  g->name[sizeof g->name - 1] = '\0';
}
void green_stack(const Green* g, void** lo, size_t* size, size_t* guard) {
  *lo = g->stack.lo();
  *size = g->stack.usable();
  if (guard) *guard = g->stack.guard;
}

// ---- the loop ----

static void report_deadlock(Hub* h);

static bool deadlocked(Hub* h) {
  return h->n_parked > 0 && h->n_parked == h->n_green && h->n_parked_external == 0 &&
         h->n_offloads == 0 && h->timers.empty() && h->runq_len == 0 &&
         g_hub_count.load() == 1 && g_native_wakers.load() == 0;
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

[[noreturn]] static void hub_loop(Hub* h) {
  int batches = 0;
  for (;;) {
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
    netpoll_wait(h, uv_backend_timeout(&h->loop));
    batches = 0;
  }
}

// The hub's context starts on the first switch out of the adopted thread,
// which is not inside resume(): finish that switch here.
static void hub_entry(void* arg) {
  auto h = static_cast<Hub*>(arg);
  switched_back(h, h->running);
  hub_loop(h);
}

static Hub* hub_create() {
  tcb_init();
  auto h = new Hub;
  GREEN_CHECK(uv_loop_init(&h->loop) == 0, "uv_loop_init");
  h->loop.data = h;
  GREEN_CHECK(uv_async_init(&h->loop, &h->inbox_async, on_inbox) == 0, "uv_async_init");
  h->inbox_async.data = h;
  GREEN_CHECK(h->timers.init(&h->loop) == 0, "timerfd");
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
  h->add_green(g);
  g_live_greens.fetch_add(1);
  tcb_adopt(h, g);
  stack_guard_install_thread();
  t_hub = h;
}

static void* dedicated_hub_main(void* arg) {
  auto h = static_cast<Hub*>(arg);
  t_hub = h;
  h->os_thread = REAL(pthread_self)();
  tcb_adopt(h, nullptr);
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
  GREEN_CHECK(REAL(pthread_create)(&tid, &attr, dedicated_hub_main, h) == 0, "hub thread");
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
    g_hubs[0].store(h);
  }
  g_spawn_cursor.store(0);
  g_live_greens.store(greens);
  g_native_wakers.store(0);
}

Hub* pick_hub_for_spawn(Hub* caller) {
  int n = g_hub_count.load();
  if (n <= 1) return caller;
  return g_hubs[g_spawn_cursor.fetch_add(1) % n].load();
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

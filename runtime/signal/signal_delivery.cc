#include "signal/signal_delivery.h"

#include <csignal>

#include "os/sys.h"
#include "sched/hub.h"
#include "sched/machine.h"
#include "signal/handlers.h"
#include "sync/parking_lot.h"

namespace green {

static BlocksSignal g_blocks = nullptr;  // set once at start-up

void set_blocks_signal(BlocksSignal query) { g_blocks = query; }

void set_park_restartable(bool restartable) { this_hub()->running->restartable = restartable; }

void signal_direct(Green* g, int sig) {
  if (sig <= 0 || sig >= kSignals) return;
  uint64_t bit = uint64_t(1) << sig;
  g->directed_signals.fetch_or(bit, std::memory_order_release);
  g->hub->signal_directed.fetch_or(bit, std::memory_order_release);
}

void signal_tkill_taken() {
  if (Hub* h = block_hub()) h->tkills_taken.fetch_add(1, std::memory_order_release);
}

int signal_kill_green(Green* g, int sig) {
  signal_direct(g, sig);
  Hub* h = g->hub;
  Machine* m = h->m.load(std::memory_order_acquire);
  uint64_t before = h->tkills_taken.load(std::memory_order_acquire);
  long rc = sys::call(SYS_tgkill, sys::call(SYS_getpid), m->tid, sig);  // not cached: fork
  if (rc < 0) return static_cast<int>(-rc);
  if (h == block_hub() || !signal_has_handler(sig)) return 0;
  const timespec slice{0, 20000};
  for (int i = 0; i < 1000 && h->tkills_taken.load(std::memory_order_acquire) == before; i++)
    sys::nanosleep(&slice);
  return 0;
}

static thread_local uint64_t t_noted __attribute__((tls_model("initial-exec")));

static thread_local bool t_last_restart __attribute__((tls_model("initial-exec")));

uint64_t signals_noted_here() { return t_noted; }
bool last_signal_restarts() { return t_last_restart; }

// INV-SIG2: a signal whose handler ran while a green thread was on the CPU
// (its own code or libgreen's before it parks) was taken by that thread as
// natively by a running thread: if that thread is the one delivery picks,
// no call of it ends with EINTR. Without this a pthread_kill(pthread_self())
// or an alarm that came while the thread computed would end its next wait.
void signal_note(int sig, bool restart) {
  t_noted++;
  t_last_restart = restart;
  Hub* h = block_hub();  // a handler: never waits for a hub (machine.h)
  Hub* own = h;
  if (!h) h = hub_at(0);
  if (!h || sig <= 0 || sig >= kSignals) return;
  uint64_t bit = uint64_t(1) << sig;
  if (own) {
    Green* r = own->running;
    if (r && r->state == GreenState::kRunning) r->signals_taken_running.fetch_or(bit, std::memory_order_relaxed);
  }
  if (restart) h->signal_restart.fetch_or(bit, std::memory_order_relaxed);
  else h->signal_restart.fetch_and(~bit, std::memory_order_relaxed);
  h->signal_pending.fetch_or(bit, std::memory_order_release);
  uv_async_send(&h->signal_async);
}

static bool blocks(Green* g, int sig) { return g_blocks && g_blocks(g, sig); }

// The kernel's choice (complete_signal in kernel/signal.c): the main thread
// if it does not block the signal, else another thread that does not.
// Among green threads: the first green thread (id 1) first, then the lowest id.
static Green* signal_target(Hub* h, int sig) {
  Green* best = nullptr;
  for (Green* g = h->all; g; g = g->all_next) {
    if (blocks(g, sig)) continue;
    if (g->id == 1) return g;
    if (!best || g->id < best->id) best = g;
  }
  return best;
}

static void interrupt_park(Green* g, bool restart, uint64_t bit) {
  if (g->signals_taken_running.load(std::memory_order_relaxed) & bit) return;  // INV-SIG2
  if (g->state != GreenState::kParked) return;
  if (lot::interrupt_for_signal(g, restart)) return;  // sem_wait and friends
  if (!g->interruptible) return;
  if (restart && g->restartable) return;
  interrupt(g);
}

// Every green thread a pthread_kill named gets its own interruption, as
// every thread natively takes its own pending signal.
static void deliver_directed(Hub* h, int sig, bool restart) {
  uint64_t bit = uint64_t(1) << sig;
  for (Green* g = h->all; g; g = g->all_next)
    if (g->directed_signals.fetch_and(~bit, std::memory_order_acq_rel) & bit)
      interrupt_park(g, restart, bit);
}

// A process-directed signal interrupts the green thread the kernel would
// have picked among all hubs' (signal_target), whichever hub's OS thread took
// it: hub 0 (the main thread's) is asked first, then each next hub in turn
// until one has a green thread that does not block it. Natively a signal
// all threads block stays pending; here every hub is asked once and the
// chain ends at the last.
static void forward(int to, int sig, bool restart) {
  Hub* next = hub_at(to);
  if (!next) return;
  uint64_t bit = uint64_t(1) << sig;
  if (restart) next->signal_forwarded_restart.fetch_or(bit, std::memory_order_relaxed);
  else next->signal_forwarded_restart.fetch_and(~bit, std::memory_order_relaxed);
  next->signal_forwarded.fetch_or(bit, std::memory_order_release);
  uv_async_send(&next->signal_async);
}

static void deliver_process(Hub* h, int sig, bool restart, bool forwarded) {
  if (!forwarded && h->index != 0 && hub_count() > 1) return forward(0, sig, restart);
  if (Green* g = signal_target(h, sig)) return interrupt_park(g, restart, uint64_t(1) << sig);
  if (h->index + 1 < hub_count()) forward(h->index + 1, sig, restart);
}

static void deliver(Hub* h, int sig, bool restart) {
  uint64_t bit = uint64_t(1) << sig;
  if (h->signal_directed.fetch_and(~bit, std::memory_order_acq_rel) & bit)
    return deliver_directed(h, sig, restart);
  deliver_process(h, sig, restart, false);
}

// Delivered: no green thread of h keeps the taken-while-running marks (INV-SIG2).
static void clear_taken(Hub* h, uint64_t bits) {
  for (Green* g = h->all; g; g = g->all_next) g->signals_taken_running.fetch_and(~bits, std::memory_order_relaxed);
}

static void on_signal_async(uv_async_t* a) {
  auto h = static_cast<Hub*>(a->data);
  uint64_t pending = h->signal_pending.exchange(0, std::memory_order_acquire);
  uint64_t restart = h->signal_restart.load(std::memory_order_relaxed);
  for (int sig = 1; sig < kSignals; sig++)
    if (pending & (uint64_t(1) << sig)) deliver(h, sig, restart & (uint64_t(1) << sig));
  if (pending) clear_taken(h, pending);
  uint64_t forwarded = h->signal_forwarded.exchange(0, std::memory_order_acquire);
  uint64_t forwarded_restart = h->signal_forwarded_restart.load(std::memory_order_relaxed);
  for (int sig = 1; sig < kSignals; sig++)
    if (forwarded & (uint64_t(1) << sig))
      deliver_process(h, sig, forwarded_restart & (uint64_t(1) << sig), true);
}

int signal_hub_init(Hub* h) {
  int rc = uv_async_init(h->loop, &h->signal_async, on_signal_async);
  h->signal_async.data = h;
  return rc;
}

}  // namespace green

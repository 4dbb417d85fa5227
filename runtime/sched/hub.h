// hub.h: one scheduler per OS thread (internal to runtime/).
//
// A hub owns a libuv loop, a FIFO run queue, a deadline heap driving one
// timerfd, the fd watches of its green threads and a stack pool. It runs in
// its own context: a green thread that parks switches to the hub, which
// resumes the next ready green thread or waits in its epoll (netpoll_hub.h),
// which watches its fds and the libuv loop.
//
// Threading: everything here is touched only by the M holding the hub
// (machine.h: normally the hub's first OS thread; after a hand-off, another),
// except inbox_ (any thread pushes; the hub drains), the hand-off fields
// (machine.h says who) and the atomics in HubRegistry.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sched/green_thread.h"
#include "sched/timer.h"

namespace green {

struct FdWatch;
struct FdCloseRequest;
struct Machine;
struct HandBack;
struct HubReport;

constexpr int kSignals = 64;  // signal numbers 1..63 fit one 64-bit mask

// Intrusive lock-free MPSC stack of Greens to wake: producers push with a
// CAS; the hub takes the whole list and reverses it to FIFO order.
class Inbox {
 public:
  void push(Green* g);     // any thread
  Green* take_fifo();      // hub thread

 private:
  std::atomic<Green*> head_{nullptr};
};

struct Hub {
  uv_loop_t* loop = nullptr;     // a forked child gets a fresh one (fork.cc)
  int index = 0;                  // position in the process's hub list
  unsigned long os_thread = 0;    // pthread_t of the OS thread running it (m's)
  Context ctx;                    // the scheduler's own context
  Stack ctx_stack;                // its stack; empty for a dedicated hub thread
  Green* running = nullptr;       // the green thread on the CPU, or nullptr
  Green* runq_head = nullptr;
  Green* runq_tail = nullptr;
  size_t runq_len = 0;
  // Work stealing (steal.h): runq_len as other hubs may read it, the thief
  // asking this hub for work (any thread CASes it in, this hub takes it),
  // and the green threads this hub took from others and gave to them.
  std::atomic<size_t> runq_seen{0};
  std::atomic<Hub*> steal_req{nullptr};
  std::atomic<int64_t> steal_asked_ns{0};  // when steal_req was set (now())
  int64_t last_ask_ns = 0;                 // this hub's last request, as thief
  uint32_t steal_pick = 0;                 // rotates the parked green threads it gives
  std::atomic<uint64_t> steals{0};
  std::atomic<uint64_t> given{0};
  Inbox inbox;
  uv_async_t inbox_async;         // wakes the hub when inbox gets an entry
  Timers timers;
  StackPool stacks;
  std::vector<FdWatch*> watches;  // by fd number (netpoll.cc)
  // Closes by other threads of fds this hub watches (netpoll.cc): any
  // thread pushes under the lock, the hub serves them.
  SpinLock fd_close_lock;
  FdCloseRequest* fd_closes = nullptr;
  int epfd = -1;                  // the hub's own epoll (netpoll_hub.cc)
  // libuv registers a started handle's fd with its epoll only inside
  // uv_run, and before 1.44 uv_backend_timeout does not count such pending
  // watchers (libuv 1.40 answered -1: the hub slept forever with its
  // timerfd unregistered). True from a loop's set-up until the first
  // uv_run on it (netpoll_wait); hub thread only.
  bool loop_unsynced = true;
  Green* all = nullptr;           // live green threads homed here
  size_t n_green = 0;             // their number
  std::atomic<long> placed{0};    // green threads placed here and not ended (any thread)
  size_t n_parked = 0;
  size_t n_parked_external = 0;   // parked with an external WaitReason
  size_t n_offloads = 0;          // offload() calls in flight
  char* tp = nullptr;             // the block of the M running it (Machine::tp, tcb.h)
  char* cur_tp = nullptr;         // the thread pointer now: h->tp or a green thread's
  int hand_offs_left = 0;         // direct switches allowed before the hub runs

  // Read by the GREEN_MONITOR_MS watchdog (monitor.cc) from its own thread;
  // written only here, on the hub thread.
  std::atomic<uint64_t> resumes{0};     // green threads resumed so far
  std::atomic<Green*> on_cpu{nullptr};  // the green thread running, if any

  // Hand-off (machine.h, handoff.cc). m: the M holding the hub (written by
  // the M taking it). hold: kHeld, or kTaken by the hand-off handler until
  // a spare or the stuck green thread takes it (CAS). handback: lost green
  // threads waiting for the hub, oldest first, under handback_lock. probe_*: the
  // monitor's request to the handler. lost: the green thread the last
  // hand-off detached, until it takes a hub back (for the monitor's report).
  std::atomic<Machine*> m{nullptr};
  std::atomic<int> hold{0};
  SpinLock handback_lock;
  HandBack* handback = nullptr;       // FIFO (INV-M3, machine.cc)
  HandBack* handback_tail = nullptr;
  std::atomic<bool> handback_wanted{false};
  // Its real signal mask must be put again on its OS thread (signal/
  // masks.cc changed it from another OS thread); any thread sets it, then
  // wakes the hub (inbox_async), whose loop puts the mask.
  std::atomic<bool> mask_stale{false};
  std::atomic<uint32_t> probe{0};
  std::atomic<Green*> probe_green{nullptr};
  std::atomic<uint64_t> probe_resumes{0};
  std::atomic<Green*> lost{nullptr};
  std::atomic<Machine*> lost_m{nullptr};  // the M it kept
  std::atomic<uint64_t> handoffs{0};
  // The longest the monitor saw one green thread hold the hub, in ms (the
  // monitor writes, stats/ reads).
  std::atomic<uint32_t> longest_run_ms{0};

  // Live stats (stats/stats.h): parks by reason, written by the M holding
  // the hub, read by any thread; a report request the hub serves from its
  // inbox (stats/hub_report.cc).
  std::atomic<uint64_t> parks[kWaitReasons] = {};
  std::atomic<HubReport*> report_req{nullptr};

  // Signals noted by handlers on this OS thread (signal_delivery.cc); any thread
  // (handlers, pthread_kill) writes, the hub reads.
  uv_async_t signal_async;
  std::atomic<uint64_t> signal_pending{0};
  std::atomic<uint64_t> signal_restart{0};   // SA_RESTART, per signal
  std::atomic<uint64_t> signal_directed{0};  // some green has this bit in directed_signals
  std::atomic<uint64_t> tkills_taken{0};     // SI_TKILL signals its OS thread took
  // Process-directed signals another hub passed on (signal_delivery.cc).
  std::atomic<uint64_t> signal_forwarded{0};
  std::atomic<uint64_t> signal_forwarded_restart{0};

  void runq_push(Green* g);  // inline below: the switch's hot path
  Green* runq_pop();
  void add_green(Green* g);       // joins the live list
  void remove_green(Green* g);
};

inline void Hub::runq_push(Green* g) {
  g->runq_next = nullptr;
  if (runq_tail) runq_tail->runq_next = g;
  else runq_head = g;
  runq_tail = g;
  runq_len++;
  runq_seen.store(runq_len, std::memory_order_relaxed);
}

inline Green* Hub::runq_pop() {
  Green* g = runq_head;
  if (!g) return nullptr;
  runq_head = g->runq_next;
  if (!runq_head) runq_tail = nullptr;
  runq_len--;
  runq_seen.store(runq_len, std::memory_order_relaxed);
  return g;
}

// The calling green thread's hub (its block's t_hub), or nullptr; a green
// thread whose hub a hand-off took takes it back first (machine.h). The hub's
// own code and signal handlers read block_hub(), which never waits.
Hub* this_hub();
Hub* block_hub();

// Switches from the running green thread g (parked or queued by the
// caller) to the next runnable one or to its hub; returns when g is
// resumed. Keeps g's errno across (the hub may run on g's block).
void switch_out(Green* g);

// Hub-thread part of wake(): g must belong to hub.
void wake_local(Hub* hub, Green* g, uint64_t seq, int result);

// Starts a dedicated hub thread (GREEN_HUBS > 1); returns its hub.
Hub* start_hub_thread(int index);

// Registry of all hubs, for placement and the deadlock check.
Hub* hub_at(int index);
int hub_count();
Hub* pick_hub_for_spawn(Hub* caller);

// In a forked child (fork.cc): the registry holds only h (or nothing when
// the fork came from a native thread), with `greens` live green threads.
void registry_fork_child(Hub* h, long greens);


// ---- between the scheduler's files (hub.cc, switch.cc, runq.cc,
// green_life.cc); hub thread only unless said otherwise ----

// INV-HUB1 (switch.cc): direct switches a parking thread may make in a row.
constexpr int kHandOffs = 32;
// Moves the thread pointer to tp if it is not there (INV-TCB1).
void use_block(Hub* h, char* tp);
// Makes g the running green thread; the caller switches to it next.
void make_running(Hub* h, Green* g);
// Hub side of a switch back from a green thread that parked, yielded or ended.
void switched_back(Hub* h, Green* g);
// Hub side of a green thread's end, off its stack.
void finish_exit(Hub* h, Green* g);
// Takes the inbox's wakes and new green threads (and its uv_async_t callback).
void drain_inbox(Hub* h);
void on_inbox(uv_async_t* a);
// The loop, and the hub context's entry (it first finishes the adopted
// thread's switch out).
[[noreturn]] void hub_loop(Hub* h);

// Where green_entry (green_life.cc), the bottom frame of every spawned
// green thread, starts: the probe's unwinding stops there (handoff.cc).
uintptr_t green_entry_start();

// Makes h->loop (a new uv_loop_t) with the inbox's uv_async_t: 0 or a libuv
// error. The timer and signal handles are the callers'.
int hub_loop_init(Hub* h);
void hub_entry(void* arg);
// Process-wide counts (any thread): ids of new green threads, live green
// threads (returns the new count; the last one ending exits the process),
// whether native wakers exist.
uint64_t next_green_id();
long live_greens_add(long delta);
// For reports (stats/): live green threads now, the most at once, and how
// many were ever made (adopted OS threads included).
long live_greens();
long peak_greens();
uint64_t greens_created();
bool native_wakers();

// The signal layer counts the masks of each hub's green threads
// (signal/masks.cc): called on the hub's OS thread when g joins its hub's
// list of live green threads.
using JoinHook = void (*)(Green* g);
void set_green_join_hook(JoinHook hook);
// ... and when g leaves it for another hub (steal.cc), on the old hub's thread.
void set_green_leave_hook(JoinHook hook);
void green_leaves(Green* g);

// Hooks for the pthread layer: called on the exiting green thread before it ends
// (thread-specific data destructors), and with the final state.
using ExitHook = void (*)(Green* g);
void set_exit_hook(ExitHook hook);
ExitHook exit_hook();

// The stats layer's server of Hub::report_req (stats/hub_report.cc): called
// on the hub's OS thread when a request is pending. Set before it is used.
using ReportHook = void (*)(Hub* h);
void set_report_hook(ReportHook hook);

}  // namespace green

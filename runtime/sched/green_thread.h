// green_thread.h: struct Green, one green thread (internal to runtime/).
//
// Ownership: a Green belongs to its hub and is touched only on that hub's
// OS thread, except the fields marked otherwise. Its hub changes only when
// that hub gives it, runnable, to another (steal.h). It is created by
// spawn() (or adopt_current_thread() for an OS thread's first green thread)
// and deleted by whoever ends it last: the hub for a detached thread, the
// joiner otherwise.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/context.h"
#include "green.h"
#include "os/spinlock.h"
#include "sched/stack.h"

namespace green {

struct Hub;
struct StackDump;
struct StealUndo;
struct TimerNode;
namespace lot {
struct Waiter;
}

enum class GreenState : uint8_t {
  kNew,       // spawned for another hub, on its way through that hub's inbox
  kRunnable,  // in its hub's run queue
  kRunning,   // on the CPU (hub->running == this)
  kParked,    // waiting for one wake()
  kExiting,   // finished; its hub will release the stack
  kDead,      // stack released; waits to be joined (never when detached)
};

constexpr uint64_t kGreenMagic = 0x6e65657267696c67;  // "gligreen"

struct Green {
  uint64_t magic = kGreenMagic;    // first: lets a pthread_t be recognised
  uint64_t id = 0;                 // constant; 1 = the first adopted thread
  Hub* hub = nullptr;              // its hub; changed by that hub's thread only (steal.h)
  GreenState state = GreenState::kRunnable;
  WaitReason why = WaitReason::kTest;
  // What the current park waits for, for reports (stats/): the first fd of
  // an fd wait (-1 otherwise) and how many fds, and the hub loop's time in
  // ms when it parked (uv_now).
  int wait_fd = -1;
  uint32_t wait_nfds = 0;
  uint64_t parked_ms = 0;
  Context ctx;
  Stack stack;                     // empty for an adopted OS thread
  void* (*fn)(void*) = nullptr;
  void* arg = nullptr;
  void* result = nullptr;
  char name[16] = {};

  // Park/wake protocol (hub thread): park_seq counts completed parks; a
  // wake for an older seq is stale. wake_result is what park() returns.
  uint64_t park_seq = 0;
  int wake_result = 0;
  bool interruptible = false;      // the current park may end with -EINTR
  bool restartable = false;        // ... but not after an SA_RESTART handler
  // Parking-lot waits a handled signal ends with -EINTR (sem_wait family:
  // signal(7)), unless lot_signal_restartable and the handler is SA_RESTART;
  // lot_signal_waiter is the Waiter of such a park while it lasts
  // (parking_lot.cc), which signal delivery claims.
  bool lot_signal_ends = false;
  bool lot_signal_restartable = false;
  lot::Waiter* lot_signal_waiter = nullptr;
  // Signals sent to this green thread by pthread_kill and not yet acted on
  // (any thread sets a bit, the hub clears it): a bit per signal, because
  // the kernel keeps a pending set per thread, not one per process.
  std::atomic<uint64_t> directed_signals{0};
  // Signals whose handler ran while this green thread was on the CPU (not
  // parked): natively the thread took them in user code, so they end no
  // later call of its (signal_delivery.cc). Set by the handler on its hub's
  // OS thread, cleared by the hub once it has delivered them.
  std::atomic<uint64_t> signals_taken_running{0};

  // Its thread pointer (tcb.h): its own block at the top of its stack, or
  // the OS thread's for an adopted thread. Set before it first runs.
  char* tp = nullptr;
  bool own_tcb = false;            // tp names a block of its own (tcb_free)
  bool tcb_bound = false;          // tcb_bind() ran (hub thread)
  int saved_errno = 0;             // an adopted thread's errno while the hub runs
  StackDump* dump = nullptr;       // a backtrace its hub asks for (stack_dump.h)

  Green* runq_next = nullptr;      // run-queue link (hub thread)
  // For the length of a park (hub thread): the hub-side state a steal must
  // undo before the green thread can move (nullptr: this park cannot
  // move, steal.h), and the park's timer, if any (switch.cc).
  StealUndo* steal_undo = nullptr;
  TimerNode* park_timer = nullptr;
  Green* all_prev = nullptr;       // the hub's list of its live green
  Green* all_next = nullptr;       // threads (hub thread), for reports

  // Cross-thread wake (any thread writes, the hub reads): at most one in
  // flight, because every park has exactly one wake.
  Green* inbox_next = nullptr;
  uint64_t inbox_seq = 0;
  int inbox_result = 0;

  // Join state, guarded by join_lock (exit, join and detach may run on
  // different OS threads).
  SpinLock join_lock;
  bool detached = false;
  bool finished = false;
  Green* joiner = nullptr;
  uint64_t joiner_seq = 0;

  // Owned by runtime/thread (its PosixThread: thread-specific values,
  // cancellation, signal mask). Opaque here.
  void* posix_data = nullptr;
};

}  // namespace green

// fork.cc: the runtime in a forked child.
//
// fork(2) copies the calling OS thread only; its hub carries on in the child
// with the calling green thread as its only green thread.
//
// Kernel objects the hub shares with the parent after fork are re-made, never
// touched: an epoll_ctl on the parent's epoll instance or a timerfd_settime
// on its timerfd would change the parent's loop. The hub gets a fresh libuv
// loop (fresh_loop below); the hub's own epoll (netpoll) and timerfd are
// re-created and dup3'd over their old numbers, and the timerfd's uv_poll_t
// is re-made on the new loop.
//
// glibc's fork gave the child's thread id to the descriptor it ran on, the
// calling green thread's own (tcb.h); the OS thread's gets it too.
//
// Memory state that names other threads is dropped: the other green threads
// (their Green and stack stay allocated and never run again, as the parent's
// other threads' stacks do natively), the run queue, the inbox, fd waiters,
// deadlines, pending signals (fork(2): the child's pending set is empty),
// offloads in flight and the other hubs. libuv's thread pool is gone too; it
// restarts on the next uv_queue_work (threadpool.c resets its once-flag in
// an atfork child handler of its own).
//
// Locks held at fork by green threads that are gone stay held, as natively.
//
// Rejected: a new Hub in the child. Every Green, the shim's
// per-thread data and t_hub name the hub; re-making its parts in place keeps
// them valid.
#include <uv.h>

#include <atomic>

#include "os/check.h"
#include "os/high_fd.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/machine.h"
#include "sched/netpoll_hub.h"
#include "sched/passthrough.h"
#include "signal/signal_delivery.h"
#include "tls/tcb.h"

namespace green {

namespace {

// The child's hub moves to a fresh loop, made with libuv's public API only.
// The parent's loop in our memory is abandoned, never run or closed: its
// handles' async `pending` flags (a uv_async_send in flight on another
// thread at fork), the pool's completed-work queue and its mutex (maybe held
// by a pool thread at fork) are libuv's private state, and uv_loop_fork
// keeps them (libuv 1.40-1.50). Its backend epoll, shared with the parent,
// is closed (our reference only, never epoll_ctl'd); its async eventfd (and
// io_uring rings, libuv 1.45+) cannot be named through the public API and
// stay open, close-on-exec, in the child. Handles are re-made on the new
// loop in place: the old loop's queues that link them are never walked.
void fresh_loop(Hub* h) {
  uv_loop_t* old = h->loop;
  int backend = uv_backend_fd(old);
  if (backend >= 0) sys::close(backend);
  HighFds libgreens_own;  // the new loop's fds go high (os/high_fd.h)
  GREEN_CHECK(hub_loop_init(h) == 0, "uv_loop_init in a forked child");
  GREEN_CHECK(signal_hub_init(h) == 0, "uv_async_init in a forked child");
}

void drop_other_greens(Hub* h, Green* keep) {
  for (Green* g = h->all; g; g = g->all_next)
    if (g != keep) g->state = GreenState::kDead;  // never resumed; wakes are stale
  h->all = keep;
  h->n_green = keep ? 1 : 0;
  if (keep) keep->all_prev = keep->all_next = nullptr;
  h->runq_head = h->runq_tail = nullptr;
  h->runq_len = 0;
  h->n_parked = h->n_parked_external = h->n_offloads = 0;
  h->inbox.take_fifo();
}

void drop_signals(Hub* h, Green* keep) {
  h->signal_pending.store(0);
  h->signal_directed.store(0);
  if (keep) keep->directed_signals.store(0);
}

}  // namespace

extern std::atomic<bool> g_pool_started;  // offload.cc

void after_fork_child() {
  g_pool_started.store(false, std::memory_order_relaxed);
  probes_after_fork();
  Hub* h = this_hub();
  Green* keep = h ? h->running : nullptr;
  registry_fork_child(h, keep ? 1 : 0);
  machines_after_fork(h);
  if (!h) return;
  PassThrough pt;
  tcb_after_fork(h, keep);
  fresh_loop(h);
  drop_other_greens(h, keep);
  drop_signals(h, keep);
  GREEN_CHECK(h->timers.fork_child(h->loop) == 0, "timerfd in a forked child");
  GREEN_CHECK(netpoll_fork_child(h) == 0, "epoll in a forked child");
  h->loop_unsynced = true;  // its handles wait for a uv_run (hub.h)
}

}  // namespace green

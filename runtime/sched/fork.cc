// fork.cc: the runtime in a forked child.
//
// fork(2) copies the calling OS thread only; its hub carries on in the child
// with the calling green thread as its only green thread.
//
// Kernel objects the hub shares with the parent after fork are re-made, never
// touched: an epoll_ctl on the parent's epoll instance or a timerfd_settime
// on its timerfd would change the parent's loop. uv_loop_fork() gives libuv
// a new epoll backend and async eventfd; the hub's own epoll (netpoll) and
// timerfd are re-created and dup3'd over their old numbers, so the uv_poll_t
// handles watching them stay valid (uv_loop_fork re-registers every watcher
// by number in the new backend).
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
// Rejected: a new Hub and loop in the child. Every Green, the shim's
// per-thread data and t_hub name the hub; re-making its parts in place keeps
// them valid.
#include <uv.h>

#include <atomic>

#include "os/check.h"
#include "sched/hub.h"
#include "sched/netpoll_hub.h"
#include "sched/passthrough.h"
#include "tls/tcb.h"

namespace green {

namespace {

void reset_async(uv_handle_t* handle, void*) {
  if (handle->type == UV_ASYNC) reinterpret_cast<uv_async_t*>(handle)->pending = 0;
}

// A send in flight at fork (another thread between its two steps) leaves
// `pending` set with no eventfd write behind it in our copy: every later
// uv_async_send would then be skipped. The pool's completed-work queue and
// its mutex (maybe held by a pool thread at fork) belong to the parent.
void reset_loop(uv_loop_t* loop) {
  GREEN_CHECK(uv_loop_fork(loop) == 0, "uv_loop_fork");
  uv_walk(loop, reset_async, nullptr);
  loop->wq_async.pending = 0;
  loop->wq[0] = loop->wq[1] = &loop->wq;
  GREEN_CHECK(uv_mutex_init(&loop->wq_mutex) == 0, "uv_mutex_init");
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
  Hub* h = this_hub();
  Green* keep = h ? h->running : nullptr;
  registry_fork_child(h, keep ? 1 : 0);
  if (!h) return;
  PassThrough pt;
  tcb_after_fork(h, keep);
  reset_loop(&h->loop);
  drop_other_greens(h, keep);
  drop_signals(h, keep);
  GREEN_CHECK(h->timers.fork_child() == 0, "timerfd in a forked child");
  GREEN_CHECK(netpoll_fork_child(h) == 0, "epoll in a forked child");
}

}  // namespace green

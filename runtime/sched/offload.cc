// offload.cc: blocking calls on libuv's thread pool.
//
// The calling green thread parks; a pool thread runs the call (pool threads
// are native: every interposer passes through there); the after-callback
// runs on the hub and wakes the caller. Not interruptible: the call cannot
// be taken back from the pool once queued.
#include <signal.h>
#include <uv.h>

#include <atomic>

#include "glibc/real.h"
#include "os/check.h"
#include "sched/hub.h"
#include "sched/passthrough.h"

namespace green {

struct OffloadReq {
  uv_work_t work;
  void (*fn)(void*);
  void* arg;
  Green* g;
  uint64_t seq;
};

static void run_on_pool(uv_work_t* w) {
  auto r = static_cast<OffloadReq*>(w->data);
  r->fn(r->arg);
}

static void after_pool(uv_work_t* w, int) {
  auto r = static_cast<OffloadReq*>(w->data);
  r->g->hub->n_offloads--;
  wake(r->g, r->seq, 0);
}

// libuv starts its pool threads in the first uv_queue_work, and they
// inherit the calling thread's mask: they start with every signal blocked,
// so the kernel never picks one of them for a signal the program's threads
// block (DESIGN rule 5; a pool thread never runs the program's handlers).
// Reset in a fork child, where libuv starts a new pool (sched/fork.cc).
std::atomic<bool> g_pool_started{false};

static int queue_work(Hub* h, OffloadReq* r) {
  if (g_pool_started.load(std::memory_order_relaxed)) return uv_queue_work(h->loop, &r->work, run_on_pool, after_pool);
  sigset_t all, old;
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  int rc = uv_queue_work(h->loop, &r->work, run_on_pool, after_pool);
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  g_pool_started.store(true, std::memory_order_relaxed);
  return rc;
}

void offload(void (*fn)(void*), void* arg) {
  Hub* h = this_hub();
  Green* g = h->running;
  OffloadReq r{{}, fn, arg, g, park_seq(g)};
  r.work.data = &r;
  {
    PassThrough pt;
    GREEN_CHECK(queue_work(h, &r) == 0, "uv_queue_work");
  }
  h->n_offloads++;
  park(WaitReason::kOffload);
}

}  // namespace green

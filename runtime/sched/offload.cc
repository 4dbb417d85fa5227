// offload.cc: blocking calls on libuv's thread pool.
//
// The calling green thread parks; a pool thread runs the call (pool threads
// are native: every interposer passes through there); the after-callback
// runs on the hub and wakes the caller. Not interruptible: the call cannot
// be taken back from the pool once queued.
#include <uv.h>

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

void offload(void (*fn)(void*), void* arg) {
  Hub* h = this_hub();
  Green* g = h->running;
  OffloadReq r{{}, fn, arg, g, park_seq(g)};
  r.work.data = &r;
  {
    PassThrough pt;
    GREEN_CHECK(uv_queue_work(&h->loop, &r.work, run_on_pool, after_pool) == 0, "uv_queue_work");
  }
  h->n_offloads++;
  park(WaitReason::kOffload);
}

}  // namespace green

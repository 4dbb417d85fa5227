// switch.cc: switching between green threads, and park/wake: the only
// ways a green thread leaves the CPU and comes back (Go's gopark/goready).
// Hub thread only, except wake(), which any thread may call.
#include "sched/hub.h"

#include <cerrno>

#include "glibc/real.h"
#include "os/check.h"
#include "sched/machine.h"
#include "sched/debug_log.h"
#include "sched/passthrough.h"
#include "sched/stack_dump.h"
#include "tls/tcb.h"
#include "tls/thread_pointer.h"

namespace green {

// ---- switching (INV-TCB1, INV-HUB1) ----

// The hub runs on the block of the green thread it last ran (INV-TCB1), so
// a switch moves the thread pointer once, when the next green thread is
// another one's (wrfsbase costs ~15 ns here). The hub's own code touches
// TLS only through errno (saved in switch_out), t_hub (the same in every
// block of the hub) and balanced PassThrough counts.
void use_block(Hub* h, char* tp) {
  if (h->cur_tp == tp) return;
  tp_set(tp);
  h->cur_tp = tp;
}

// Makes g the running green thread; the caller switches to it next.
void make_running(Hub* h, Green* g) {
  // A steal moves a green thread only while it is runnable or parked, on
  // its old hub's thread (steal.h): it never runs on two hubs at once.
  GREEN_CHECK(g->hub == h && (g->state != GreenState::kRunning || g == h->running),
              "a green thread resumed by a hub it does not belong to");
  h->running = g;
  h->resumes.store(h->resumes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  h->on_cpu.store(g, std::memory_order_release);
  g->state = GreenState::kRunning;
  if (!g->tcb_bound) tcb_bind(h, g);
  else if (!tcb_bound_to(g->tp, h->m.load(std::memory_order_relaxed)))
    tcb_rebind(g->tp, h->m.load(std::memory_order_relaxed));  // its hub moved to another M
  use_block(h, g->tp);
}

// INV-HUB1: a parking or yielding green thread hands the CPU straight to
// the next runnable one, one switch instead of two through the hub, at most
// kHandOffs times in a row (hub.h): then the hub runs, so cross-thread
// wakes, timers and I/O are seen as often as without hand-offs
// (kBatchesPerPoll). The hub finishes whichever green thread switched to
// it: h->running, as a hand-off makes its target the running one before
// the switch.

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
  answer_stack_dumps(g);
  errno = g->saved_errno;
}

// ---- park / wake ----

uint64_t park_seq(const Green* g) { return g->park_seq; }

int park(WaitReason why) {
  Hub* h = this_hub();
  Green* g = h->running;
  GREEN_CHECK(g, "park outside a green thread");
  g->state = GreenState::kParked;
  g->why = why;
  g->parked_ms = uv_now(h->loop);
  auto& parks = h->parks[static_cast<int>(why)];
  parks.store(parks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  h->n_parked++;
  if (wait_reason_external(why)) h->n_parked_external++;
  if (__builtin_expect(g_debug, false)) debug_park(g, why);
  switch_out(g);
  return g->wake_result;
}

// The one timed park: every wait with a deadline is this (sleeps, fd
// waits, joins) or park_with_timer (a wait whose timeout must claim
// something first: the parking lot's).
int park_until(WaitReason why, Nanos deadline, bool interruptible, int timeout_result) {
  Green* g = this_hub()->running;
  ParkTimer t(g, timeout_result);
  t.deadline = deadline;
  return park_with_timer(why, &t, interruptible);
}

// The timer is the park's (Green::park_timer): a steal removes it from the
// old hub's heap, and the removal after the park is on the hub g is on now.
int park_with_timer(WaitReason why, TimerNode* t, bool interruptible) {
  Hub* h = this_hub();
  Green* g = h->running;
  GREEN_CHECK(g, "park outside a green thread");
  if (t && t->deadline != kForever) {
    h->timers.add(t);
    g->park_timer = t;
  }
  g->interruptible = interruptible;
  int r = park(why);
  g->park_timer = nullptr;
  if (t) g->hub->timers.remove(t);
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
  if (block_hub() == h && !t_lost.m) {
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
  Hub* h = this_hub();
  Green* g = h->running;
  g->state = GreenState::kRunnable;
  h->runq_push(g);
  switch_out(g);
}

}  // namespace green

// steal.cc: idle hubs take green threads from busy ones (steal.h).
#include "sched/steal.h"

#include <atomic>

#include "sched/debug_log.h"
#include "sched/hub.h"
#include "sched/passthrough.h"
#include "sched/timer.h"

namespace green {

void use_block(Hub* h, char* tp);  // switch.cc

bool g_steal = false;

// ---- thief ----

// The other hub with the longest run queue, if it is kStealMin or more;
// else the busy one carrying the most green threads. Reads only other
// hubs' atomics: a stale view costs one request for nothing.
static Hub* pick_victim(Hub* thief) {
  int n = hub_count();
  Hub* longest = nullptr;
  Hub* busiest = nullptr;
  size_t longest_len = kStealMin - 1;
  long busiest_placed = 1;  // a busy hub with one green thread has nothing to give
  for (int k = 1; k < n; k++) {
    Hub* h = hub_at((thief->index + k) % n);
    if (!h) continue;
    size_t len = h->runq_seen.load(std::memory_order_relaxed);
    if (len > longest_len) {
      longest = h;
      longest_len = len;
    }
    long placed = h->placed.load(std::memory_order_relaxed);
    if (h->on_cpu.load(std::memory_order_relaxed) && placed > busiest_placed) {
      busiest = h;
      busiest_placed = placed;
    }
  }
  return longest ? longest : busiest;
}

void steal_ask(Hub* thief) {
  int64_t t = now();
  if (t - thief->last_ask_ns < kAskEveryNs) return;
  thief->last_ask_ns = t;
  Hub* victim = pick_victim(thief);
  if (!victim) return;
  if (victim->steal_req.load(std::memory_order_relaxed)) return;  // another thief asked first
  victim->steal_asked_ns.store(t, std::memory_order_relaxed);      // before the request is seen
  Hub* none = nullptr;
  if (!victim->steal_req.compare_exchange_strong(none, thief, std::memory_order_acq_rel)) return;
  PassThrough pt;
  uv_async_send(&victim->inbox_async);  // a victim waiting in its epoll serves it at once
}

// ---- victim ----

// Whether g may move at all (steal.h's list of what never moves).
static bool movable(const Green* g) {
  return g->own_tcb && !g->directed_signals.load(std::memory_order_acquire);
}

// g, runnable in victim's run queue: undoes its park's hub state if it may move.
static bool detach_runnable(Hub* victim, Green* g) {
  if (!movable(g)) return false;
  if (!g->tcb_bound) return true;  // never ran: no park to undo
  if (!g->steal_undo || g->wake_result == -EINTR) return false;
  if (!g->steal_undo->undo(victim, g, g->steal_undo)) return false;
  if (g->park_timer) victim->timers.remove(g->park_timer);
  g->steal_undo = nullptr;
  return true;
}

// g, parked on victim: ends its park early (its StealUndo's result) and
// undoes its hub state, if it may move. The victim's side of wake_local.
static bool detach_parked(Hub* victim, Green* g) {
  if (g->state != GreenState::kParked || !movable(g) || !g->steal_undo || !g->steal_undo->early_result) return false;
  if (!g->steal_undo->undo(victim, g, g->steal_undo)) return false;
  if (g->park_timer) victim->timers.remove(g->park_timer);
  g->park_seq++;  // any wake still on its way is stale now
  g->wake_result = g->steal_undo->early_result;
  g->steal_undo = nullptr;
  g->interruptible = false;
  g->restartable = false;
  victim->n_parked--;
  if (wait_reason_external(g->why)) victim->n_parked_external--;
  return true;
}

// Takes g off every list of victim and hands it to thief as a newcomer
// (drain_inbox adds it to thief's lists and run queue).
static void move_to(Hub* victim, Hub* thief, Green* g) {
  victim->remove_green(g);
  green_leaves(g);
  victim->placed.fetch_sub(1, std::memory_order_relaxed);
  // The hub runs on the block of the green thread it ran last (INV-TCB1):
  // not on one another OS thread is about to run.
  if (victim->cur_tp == g->tp) use_block(victim, victim->tp);
  g->hub = thief;
  thief->placed.fetch_add(1, std::memory_order_relaxed);
  g->state = GreenState::kNew;
  thief->inbox.push(g);
}

// Half of the run queue, oldest first; the rest keep their order.
static size_t give_runnable(Hub* victim, Hub* thief) {
  size_t n = victim->runq_len, want = n / 2, given = 0;
  for (size_t i = 0; i < n; i++) {
    Green* g = victim->runq_pop();
    if (given < want && detach_runnable(victim, g)) {
      move_to(victim, thief, g);
      given++;
    } else {
      victim->runq_push(g);
    }
  }
  return given;
}

// One parked green thread, a different one each time.
static size_t give_parked(Hub* victim, Hub* thief) {
  constexpr int kLook = 32;
  Green* can[kLook];
  int n = 0;
  for (Green* g = victim->all; g && n < kLook; g = g->all_next)
    if (g->state == GreenState::kParked && g->steal_undo && g->steal_undo->early_result && movable(g)) can[n++] = g;
  for (int k = 0; k < n; k++) {
    Green* g = can[(victim->steal_pick + k) % n];
    if (!detach_parked(victim, g)) continue;
    victim->steal_pick++;
    move_to(victim, thief, g);
    return 1;
  }
  return 0;
}

void steal_serve(Hub* victim) {
  Hub* thief = victim->steal_req.exchange(nullptr, std::memory_order_acq_rel);
  if (!thief || thief == victim) return;
  size_t given = 0;
  bool parked = false;
  if (victim->runq_len >= kStealMin) {
    given = give_runnable(victim, thief);
  } else if (now() - victim->steal_asked_ns.load(std::memory_order_relaxed) >= kBusyNs &&
             victim->n_green > 1) {
    given = give_parked(victim, thief);
    parked = true;
  }
  if (!given) return;
  if (__builtin_expect(g_debug, false)) debug_steal(victim, thief, given, parked);
  victim->given.fetch_add(given, std::memory_order_relaxed);
  thief->steals.fetch_add(given, std::memory_order_relaxed);
  PassThrough pt;
  uv_async_send(&thief->inbox_async);
}

}  // namespace green

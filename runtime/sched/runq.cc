// runq.cc: a hub's inbox (wakes from other OS threads) and its list of live
// green threads (the run queue itself is inline in hub.h). The list is touched on
// the hub's OS thread only; the inbox is pushed by any thread (hub.h).
#include "sched/hub.h"

namespace green {

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

static JoinHook g_join_hook = nullptr;   // set once at start-up
static JoinHook g_leave_hook = nullptr;  // likewise
void set_green_join_hook(JoinHook hook) { g_join_hook = hook; }
void set_green_leave_hook(JoinHook hook) { g_leave_hook = hook; }
void green_leaves(Green* g) {
  if (g_leave_hook) g_leave_hook(g);
}

void Hub::add_green(Green* g) {
  g->all_prev = nullptr;
  g->all_next = all;
  if (all) all->all_prev = g;
  all = g;
  n_green++;
  if (g_join_hook) g_join_hook(g);
}

void Hub::remove_green(Green* g) {
  if (g->all_prev) g->all_prev->all_next = g->all_next;
  else all = g->all_next;
  if (g->all_next) g->all_next->all_prev = g->all_prev;
  n_green--;
}

}  // namespace green

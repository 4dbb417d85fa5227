// timer.h: nanosecond deadlines for one hub.
//
// libuv's timers are millisecond-grained, so a 50 us sleep would take 1 ms.
// Instead each hub keeps a binary min-heap of TimerNodes and arms one
// timerfd (CLOCK_MONOTONIC, absolute) at the earliest deadline; the timerfd is
// watched by a uv_poll_t in the hub's loop. A TimerNode lives wherever its
// owner keeps it (usually the parked green thread's stack frame) and must be
// removed before that storage goes away.
//
// Threading: hub thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <vector>

#include "green.h"

namespace green {

struct TimerNode {
  Nanos deadline = kForever;
  size_t heap_index = SIZE_MAX;   // SIZE_MAX = not armed
  void (*fire)(TimerNode*) = nullptr;
  bool armed() const { return heap_index != SIZE_MAX; }
};

// A timer that wakes a parked green thread's current park with result.
struct ParkTimer : TimerNode {
  ParkTimer(Green* g, int result);
  Green* g;
  uint64_t seq;
  int result;
};

// park_until (green.h) with the caller's own timer node t (its deadline
// and fire set; kForever: no timer), for timeouts that must claim something
// before they wake (the parking lot's waiter). nullptr: no timer.
int park_with_timer(WaitReason why, TimerNode* t, bool interruptible);

class Timers {
 public:
  int init(uv_loop_t* loop);  // 0 or -errno
  void add(TimerNode* t);     // t->deadline and t->fire set by the caller
  void remove(TimerNode* t);  // no-op when not armed
  // In a forked child: a timerfd of our own over the same number (the
  // parent's is shared) and no deadlines (their owners did not survive).
  int fork_child(uv_loop_t* loop);  // 0 or -errno; watched by the child's new loop
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }

 private:
  static void on_timerfd(uv_poll_t* p, int status, int events);
  void fire_due();
  void rearm();
  void sift_up(size_t i);
  void sift_down(size_t i);
  void swap_nodes(size_t a, size_t b);

  std::vector<TimerNode*> heap_;
  int tfd_ = -1;
  Nanos armed_at_ = kForever;  // what the timerfd is set to
  uv_poll_t poll_;
};

}  // namespace green

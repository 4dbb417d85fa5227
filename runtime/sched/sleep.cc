// sleep.cc: clock and sleeping for the runtime API.
#include <time.h>

#include <cerrno>

#include "sched/hub.h"
#include "sched/steal.h"

namespace green {

Nanos now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Nanos(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A sleep holds nothing of its hub but its timer, which a steal removes
// itself (steal.h).
static StealUndo g_sleep_moves{[](Hub*, Green*, StealUndo*) { return true; }};

int sleep_until(Nanos deadline) {
  if (deadline <= now()) return 0;
  Green* g = current();
  if (g_steal) g->steal_undo = &g_sleep_moves;
  int r = park_until(WaitReason::kSleep, deadline, true, 0);
  g->steal_undo = nullptr;
  return r;
}

int wait_signal(Nanos deadline) { return park_until(WaitReason::kSignal, deadline, true); }

}  // namespace green

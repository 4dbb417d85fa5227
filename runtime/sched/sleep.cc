// sleep.cc: clock and sleeping for the runtime API.
#include <time.h>

#include <cerrno>

#include "sched/hub.h"

namespace green {

Nanos now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Nanos(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int sleep_until(Nanos deadline) {
  Hub* h = this_hub();
  Green* g = h->running;
  if (deadline <= now()) return 0;
  ParkTimer t(g, 0);
  t.deadline = deadline;
  h->timers.add(&t);
  g->interruptible = true;
  int r = park(WaitReason::kSleep);
  h->timers.remove(&t);
  return r;
}

int wait_signal(Nanos deadline) {
  Hub* h = this_hub();
  Green* g = h->running;
  ParkTimer t(g, -ETIMEDOUT);
  if (deadline != kForever) {
    t.deadline = deadline;
    h->timers.add(&t);
  }
  g->interruptible = true;
  int r = park(WaitReason::kSignal);
  h->timers.remove(&t);
  return r;
}

}  // namespace green

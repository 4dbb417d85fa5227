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
  if (deadline <= now()) return 0;
  return park_until(WaitReason::kSleep, deadline, true, 0);
}

int wait_signal(Nanos deadline) { return park_until(WaitReason::kSignal, deadline, true); }

}  // namespace green

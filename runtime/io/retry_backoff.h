// retry_backoff.h: waiting for something that cannot be polled for.
//
// A file lock held elsewhere (file_lock.cc) or a FIFO with no reader yet
// (file_open.cc) gives no fd event when it changes. The call is made in its
// non-blocking form; while it says "busy" the green thread sleeps and tries
// again, 1 ms after the first refusal, doubling to at most kMaxBackoff (a
// change is seen at most that late). The sleep is an ordinary park: the hub
// runs on, and a signal handler interrupts it with EINTR unless it was
// installed with SA_RESTART (the blocking calls these stand for are all
// restarted natively then, signal(7)).
//
// Rejected: offloading the blocking call. Such a wait has no bound, libuv's
// pool has 4 threads and a pool thread blocked in the kernel cannot be
// interrupted: four green threads waiting for locks would stall every other
// offload (fsync, getaddrinfo), and a lock holder that waits for one of
// those would deadlock the process.
#pragma once

#include <cerrno>

#include "green.h"
#include "signal/signal_delivery.h"

namespace green {

constexpr green::Nanos kFirstBackoff = 1000 * 1000;
constexpr green::Nanos kMaxBackoff = 10 * 1000 * 1000;

// Calls attempt() (>= 0 or -errno) until busy(result) is false; -EINTR when
// a signal interrupts a sleep in between. errno is the caller's again on
// return: the refused attempts' errno must not outlive a call that then
// succeeds (the caller sets errno from a negative result).
template <class Attempt, class Busy>
auto retry_backoff(Attempt attempt, Busy busy) -> decltype(attempt()) {
  green::Nanos backoff = kFirstBackoff;
  int saved = errno;
  for (;;) {
    auto r = attempt();
    if (!busy(r)) {
      errno = saved;
      return r;
    }
    green::set_park_restartable(true);
    if (green::sleep_until(green::now() + backoff) == -EINTR) {
      errno = saved;
      return -EINTR;
    }
    backoff = backoff * 2 < kMaxBackoff ? backoff * 2 : kMaxBackoff;
  }
}

}  // namespace green

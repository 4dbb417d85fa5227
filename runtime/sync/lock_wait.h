// lock_wait.h: "try, else park on the object's address, retry" for the
// objects whose state stays glibc's own (mutex, rwlock, semaphore).
//
// glibc's blocking paths sleep in an internal futex call no interposer sees,
// so a green caller never reaches them: it uses the object's non-blocking
// try operation, and parks in the lot keyed by the object when busy; every
// release (from any thread, native ones too) unparks after glibc's release.
// Native waiters keep blocking inside glibc, and glibc's release wakes them.
//
// The try runs once more under the bucket lock after enqueueing (parking
// lot's Dekker check), so a release between the first try and the park is
// never lost. A woken waiter retries; losing to a barging thread parks it
// again at the tail (no FIFO hand-off: throughput over fairness, as glibc).
//
// Process-shared objects: a release in another process cannot unpark us, so
// the park also ends every poll interval (1 ms doubling to 10 ms) to retry.
#pragma once

#include <algorithm>
#include <cerrno>

#include "green.h"
#include "sync/parking_lot.h"

namespace green {

// The lot bits of a waiter with tag (tags 1..31 each get a bit, so that an
// unlock can wake one kind only: rwlock writers; tag 0 waiters match all).
constexpr uint32_t bits_of_tag(int tag) { return tag > 0 && tag < 32 ? 1u << tag : lot::kAnyBits; }

// try_op() returns 0 when it took the object, `busy` when it must wait, or
// another error number to return. Returns 0, ETIMEDOUT or try_op's error.
template <class Try>
int park_until_acquired(const void* key, int tag, green::Nanos deadline, bool shared,
                        green::WaitReason why, int busy, Try try_op) {
  green::Nanos poll = 1000000;
  for (;;) {
    int r = try_op();
    if (r != busy) return r;
    if (deadline <= green::now()) return ETIMEDOUT;
    green::Nanos until = shared ? std::min(deadline, green::now() + poll) : deadline;
    int got = busy;
    int p = lot::park(key, bits_of_tag(tag), tag, until, shared ? green::WaitReason::kSyncShared : why, [&] {
      got = try_op();
      return got == busy;
    });
    if (got != busy) return got;
    if (p == -EINTR) return EINTR;  // a signal, in a SignalEndsPark scope
    if (shared) poll = std::min<green::Nanos>(poll * 2, 10000000);
  }
}

}  // namespace green

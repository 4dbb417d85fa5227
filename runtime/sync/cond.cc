// cond.cc: pthread_cond_* for every caller, green and native (the
// interposers: shim/sync/cond.cc).
//
// Design: our own condition variable on the cond's memory, built on the
// futex layer (futex.h), so green waiters park, native ones sleep in
// the kernel, and a signal from anyone reaches both. glibc's algorithm
// cannot be kept: its waiters block in an internal futex call, and it
// unlocks/relocks the mutex internally, bypassing the green mutex path.
//
// Layout (fields of glibc's pthread_cond_t reused; PTHREAD_COND_INITIALIZER
// and glibc's pthread_cond_init zero them):
//   __wseq low word      seq: bumped by every signal/broadcast; the futex word;
//   __g1_start low word  waiters: threads between "seq read" and "woken";
//   __wrefs              left as pthread_cond_init set it: bit 0 process-
//                        shared, bit 1 CLOCK_MONOTONIC (glibc's encoding), so
//                        glibc's pthread_cond_init/destroy stay valid.
// A waiter reads seq while holding the mutex, unlocks, and waits while seq
// is unchanged; a signal bumps seq, then wakes one. A signal sent before the
// waiter sleeps changes seq, so it is never lost (a wake may be spurious,
// which POSIX allows). `waiters` only lets signal skip the futex call when
// nobody waits (Dekker: both sides seq_cst).
//
// Rejected: registering waiters per cond generation (glibc's G1/G2 groups):
// stronger fairness, much more code, and nothing in POSIX requires it.
#include <linux/futex.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "thread/cancel.h"
#include "io/deadline.h"
#include "sync/futex.h"
#include "sync/cond.h"
#include "sync/mutex.h"

namespace {

constexpr unsigned kSharedBit = 1;
constexpr unsigned kMonotonicBit = 2;

std::atomic<uint32_t>* seq_of(pthread_cond_t* c) {
  return reinterpret_cast<std::atomic<uint32_t>*>(&c->__data.__wseq);
}
std::atomic<uint32_t>* waiters_of(pthread_cond_t* c) {
  return reinterpret_cast<std::atomic<uint32_t>*>(&c->__data.__g1_start);
}
unsigned flags_of(pthread_cond_t* c) { return __atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED); }

// A cancellation point (cancel.h): a request interrupts the futex wait, and
// is acted on once the mutex is held again, as pthread_cond_wait(3p) says.
}  // namespace

namespace green {

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  green::CancelPoint cp;
  green::Nanos deadline = green::kForever;
  if (abstime) {
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
    if (int rc = green::deadline_from_abstime(clock, abstime, &deadline)) return -rc;
  }
  bool shared = flags_of(c) & kSharedBit;
  std::atomic<uint32_t>* seq = seq_of(c);
  waiters_of(c)->fetch_add(1, std::memory_order_seq_cst);
  uint32_t seen = seq->load(std::memory_order_seq_cst);
  if (int rc = green::mutex_unlock(m)) {
    waiters_of(c)->fetch_sub(1, std::memory_order_relaxed);
    return rc;
  }
  int w = green::futex_wait(reinterpret_cast<uint32_t*>(seq), seen, deadline, FUTEX_BITSET_MATCH_ANY,
                           shared, green::WaitReason::kCond);
  cp.leave();
  waiters_of(c)->fetch_sub(1, std::memory_order_relaxed);
  if (int rc = green::mutex_lock(m)) return rc;
  return w == -ETIMEDOUT ? ETIMEDOUT : 0;
}

int cond_wake(pthread_cond_t* c, int n) {
  seq_of(c)->fetch_add(1, std::memory_order_seq_cst);
  if (waiters_of(c)->load(std::memory_order_seq_cst) == 0) return 0;
  green::futex_wake(reinterpret_cast<uint32_t*>(seq_of(c)), n, FUTEX_BITSET_MATCH_ANY,
                   flags_of(c) & kSharedBit);
  return 0;
}

clockid_t cond_attr_clock(pthread_cond_t* c) {
  return (flags_of(c) & kMonotonicBit) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

}  // namespace green

// sync_barrier.cc: pthread_barrier_* for every caller, green and native.
//
// glibc's barrier blocks in an internal futex call, so the barrier is ours,
// on the pthread_barrier_t's memory, over the futex layer (green waiters
// park, native ones sleep in the kernel). All three calls are interposed, so
// glibc never sees this layout.
//
// Algorithm (generation counter): a thread reads gen, then counts itself in;
// the last of `count` resets `arrived`, bumps gen and wakes everyone; the
// others wait while gen is unchanged. arrived is reset before gen moves, so
// a thread racing ahead into the next round counts into a fresh round.
#include <linux/futex.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "boundary.h"
#include "sync/futex.h"

namespace {

struct Barrier {
  uint32_t count;
  std::atomic<uint32_t> arrived;
  std::atomic<uint32_t> gen;   // the futex word
  uint32_t shared;
};
static_assert(sizeof(Barrier) <= sizeof(pthread_barrier_t));

Barrier* of(pthread_barrier_t* b) { return reinterpret_cast<Barrier*>(b); }

}  // namespace

GREEN_EXPORT int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr,
                                      unsigned count) {
  if (count == 0 || count > INT_MAX) return EINVAL;
  int pshared = PTHREAD_PROCESS_PRIVATE;
  if (attr) pthread_barrierattr_getpshared(attr, &pshared);
  Barrier* x = of(b);
  x->count = count;
  x->arrived.store(0, std::memory_order_relaxed);
  x->gen.store(0, std::memory_order_relaxed);
  x->shared = pshared == PTHREAD_PROCESS_SHARED;
  return 0;
}

GREEN_EXPORT int pthread_barrier_destroy(pthread_barrier_t* b) {
  return of(b)->arrived.load() != 0 ? EBUSY : 0;
}

GREEN_EXPORT int pthread_barrier_wait(pthread_barrier_t* b) {
  Barrier* x = of(b);
  uint32_t gen = x->gen.load(std::memory_order_acquire);
  if (x->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == x->count) {
    x->arrived.store(0, std::memory_order_relaxed);
    x->gen.fetch_add(1, std::memory_order_seq_cst);
    green::futex_wake(reinterpret_cast<uint32_t*>(&x->gen), INT_MAX, FUTEX_BITSET_MATCH_ANY, x->shared);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  while (x->gen.load(std::memory_order_acquire) == gen)
    green::futex_wait(reinterpret_cast<uint32_t*>(&x->gen), gen, green::kForever, FUTEX_BITSET_MATCH_ANY,
                     x->shared, green::WaitReason::kBarrier);
  return 0;
}

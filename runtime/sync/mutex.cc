// mutex.cc: pthread_mutex_* for green threads (shim/sync/mutex.cc holds
// the interposers).
//
// Design: the mutex stays glibc's (its lock word, kinds, robust list, PI/PP),
// so native threads keep using glibc unchanged and glibc-internal code sees
// a valid mutex. Only blocking changes: a green caller uses glibc's trylock
// and parks in the lot keyed by the mutex (lock_wait.h); every unlock, from
// any thread, unparks one green waiter after glibc's unlock (which itself
// wakes native waiters). Owner-dependent kinds (recursive, errorcheck,
// robust) get their green owner from owner.h, because glibc's owner is
// the hub's TID.
//
// Rejected: (a) our own mutex on the object's memory for every caller: glibc
// internals (C11 mtx_*, pthread_mutex_consistent, robust-list handling at
// thread exit) would no longer understand it, and PI/PP would need a
// rewrite. (b) A side mutex per address for green callers only: a native
// thread and a green one would then not exclude each other.
//
// Process-shared mutexes: a green waiter also polls (lock_wait.h), since an
// unlock in another process cannot unpark it.
#include "sync/mutex.h"

#include <linux/futex.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "io/deadline.h"
#include "sync/parking_lot.h"
#include "sync/futex.h"
#include "sync/owner.h"
#include "sync/lock_wait.h"

namespace {

// glibc's __kind bits (nptl/pthreadP.h).
constexpr int kTypeMask = 3;
constexpr int kRobust = 16;
constexpr int kPshared = 128;

int kind_of(const pthread_mutex_t* m) { return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED); }
int type_of(int kind) { return kind & kTypeMask; }
bool tracked(int kind) {
  int t = type_of(kind);
  return t == PTHREAD_MUTEX_RECURSIVE || t == PTHREAD_MUTEX_ERRORCHECK || (kind & kRobust);
}

// The owner relocking. trylock: what glibc's trylock returns; lock: what
// its lock returns, or EBUSY for a normal robust mutex (natively a hang).
int relock(pthread_mutex_t* m, int kind, unsigned count, bool trylock) {
  switch (type_of(kind)) {
    case PTHREAD_MUTEX_RECURSIVE:
      if (count == UINT_MAX) return EAGAIN;
      green::owner_count(m, count + 1);
      return 0;
    case PTHREAD_MUTEX_ERRORCHECK:
      return trylock && !(kind & kRobust) ? EBUSY : EDEADLK;
    default:
      return EBUSY;
  }
}

// glibc 2.36's trylock of a not-recoverable robust mutex returns
// ENOTRECOVERABLE but leaves the lock word holding our TID (its lock path
// releases it). Release it as lll_unlock would.
void undo_unrecoverable_trylock(pthread_mutex_t* m) {
  auto word = reinterpret_cast<std::atomic<uint32_t>*>(&m->__data.__lock);
  uint32_t tid = static_cast<uint32_t>(gettid());
  uint32_t old = word->load();
  if ((old & FUTEX_TID_MASK) != tid) return;
  if (!word->compare_exchange_strong(old, 0)) return;
  if (old & FUTEX_WAITERS) green::real_futex(word, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// One non-blocking attempt by the running green thread g.
int green_try(pthread_mutex_t* m, int kind, green::Green* g) {
  if (tracked(kind) && green::owner_of(m).owner) return EBUSY;
  int r = REAL(pthread_mutex_trylock)(m);
  if (r == ENOTRECOVERABLE) undo_unrecoverable_trylock(m);
  if (tracked(kind) && (r == 0 || r == EOWNERDEAD)) green::owner_set(m, g, kind);
  return r;
}

bool supported_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC; }

}  // namespace

namespace green {

// The green lock, trylock when try_only, or a timed lock when abstime.
int mutex_lock_green(pthread_mutex_t* m, bool try_only, clockid_t clock, const timespec* abstime) {
  if (abstime && !supported_clock(clock)) return EINVAL;
  green::Green* g = green::current();
  int kind = kind_of(m);
  if (tracked(kind)) {
    green::OwnerInfo o = green::owner_of(m);
    if (o.owner == g) {
      int r = relock(m, kind, o.count, try_only);
      if (r != EBUSY || try_only) return r;
    }
  }
  int r = green_try(m, kind, g);
  if (r != EBUSY || try_only) return r;
  green::Nanos deadline = green::kForever;
  if (abstime) {
    if (int rc = green::deadline_from_abstime(clock, abstime, &deadline)) return -rc;
  }
  return green::park_until_acquired(m, 0, deadline, kind & kPshared, green::WaitReason::kMutex, EBUSY,
                                   [&] { return green_try(m, kind, g); });
}

}  // namespace green

namespace {

// The green owner's unlock of a tracked mutex: -1 = not decided here.
int green_unlock_tracked(pthread_mutex_t* m) {
  green::OwnerInfo o = green::owner_of(m);
  if (!o.owner) return -1;
  if (o.owner != green::current()) return EPERM;
  if (o.count > 1) {
    green::owner_count(m, o.count - 1);
    return 0;
  }
  green::owner_erase(m);
  return -1;
}

// What the kernel does to a robust mutex whose owner thread died: off the
// owner's robust list (glibc's DEQUEUE_MUTEX), lock word = waiters bit |
// FUTEX_OWNER_DIED, one native waiter woken; here also every green one.
void mark_owner_dead(void* p, int kind) {
  auto m = static_cast<pthread_mutex_t*>(p);
  if (!(kind & kRobust)) return;
  __pthread_list_t* l = &m->__data.__list;
  auto next = reinterpret_cast<__pthread_list_t*>(reinterpret_cast<uintptr_t>(l->__next) & ~1ul);
  auto prev = reinterpret_cast<__pthread_list_t*>(reinterpret_cast<uintptr_t>(l->__prev) & ~1ul);
  if (next) next->__prev = l->__prev;
  if (prev)
    prev->__next = reinterpret_cast<__pthread_list_t*>(reinterpret_cast<uintptr_t>(next) |
                                                       (reinterpret_cast<uintptr_t>(prev->__next) & 1ul));
  l->__prev = l->__next = nullptr;
  auto word = reinterpret_cast<std::atomic<uint32_t>*>(&m->__data.__lock);
  uint32_t old = word->load();
  while (!word->compare_exchange_weak(old, (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED)) {
  }
  if (old & FUTEX_WAITERS) green::real_futex(word, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  green::lot::unpark_all(m);
}

}  // namespace

namespace green {

int mutex_lock(pthread_mutex_t* m) {
  if (!green::intercepting()) return REAL(pthread_mutex_lock)(m);
  return mutex_lock_green(m, false, CLOCK_REALTIME, nullptr);
}

int mutex_unlock(pthread_mutex_t* m) {
  int kind = kind_of(m);
  if (tracked(kind) && green::current()) {
    int r = green_unlock_tracked(m);
    if (r >= 0) return r;
  }
  int r = REAL(pthread_mutex_unlock)(m);
  if (r == 0 && lot::maybe_waiters(m)) {
    if (kind & kRobust) lot::unpark_all(m);
    else lot::unpark(m, 1);
  }
  return r;
}

void sync_on_green_exit(green::Green* g) { owner_drop_all(g, mark_owner_dead); }

}  // namespace green


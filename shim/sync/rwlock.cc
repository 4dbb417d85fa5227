// sync_rwlock.cc: pthread_rwlock_* for green threads.
//
// The rwlock stays glibc's; a green caller uses tryrdlock/trywrlock and
// parks in the lot keyed by the rwlock (tag: reader or writer); every
// unlock, from any thread, unlocks with glibc and unparks all green waiters
// (they retry in FIFO order, so a writer queued first gets it first), or,
// when the lock prefers writers and one waits, the oldest writer only.
//
// Owner: glibc records the writer's TID (shared by a hub's green threads)
// and reports EDEADLK when it relocks, so the green writer is recorded in
// owner.h and the EDEADLK check is ours.
//
// Writer preference: with PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP a
// waiting writer must keep new readers out; glibc only knows of writers
// blocked inside glibc, so a green writer parked here makes tryrdlock EBUSY.
#include <pthread.h>

#include <cerrno>

#include "boundary.h"
#include "io/deadline.h"
#include "sync/parking_lot.h"
#include "sync/owner.h"
#include "sync/lock_wait.h"

namespace {

constexpr int kReader = 1;
constexpr int kWriter = 2;

bool shared(const pthread_rwlock_t* rw) { return rw->__data.__shared != 0; }

bool writers_first(const pthread_rwlock_t* rw) {
  return rw->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

// A green writer waits here and the lock prefers writers.
bool green_writer_waits(pthread_rwlock_t* rw) {
  return writers_first(rw) && green::lot::maybe_waiters(rw) && green::lot::count_tag(rw, kWriter) > 0;
}

int try_read(pthread_rwlock_t* rw) {
  if (green_writer_waits(rw)) return EBUSY;
  return REAL(pthread_rwlock_tryrdlock)(rw);
}

int try_write(pthread_rwlock_t* rw) {
  int r = REAL(pthread_rwlock_trywrlock)(rw);
  if (r == 0) green::owner_set(rw, green::current(), 0);
  return r;
}

// The green lock; abstime null = untimed, clock checked by the caller.
int green_lock(pthread_rwlock_t* rw, bool write, clockid_t clock, const timespec* abstime) {
  green::Nanos deadline = green::kForever;
  if (abstime) {
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
    if (int rc = green::deadline_from_abstime(clock, abstime, &deadline)) return -rc;
  }
  if (green::owner_of(rw).owner == green::current()) return EDEADLK;
  auto attempt = [&] { return write ? try_write(rw) : try_read(rw); };
  int r = green::park_until_acquired(rw, write ? kWriter : kReader, deadline, shared(rw),
                                     green::WaitReason::kRwlock, EBUSY, attempt);
  // A writer that gives up may leave readers parked behind it (unlock woke
  // only writers): they retry.
  if (r != 0 && write && green::lot::maybe_waiters(rw)) green::lot::unpark_all(rw);
  return r;
}

}  // namespace

GREEN_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* rw) {
  if (!green::intercepting()) return REAL(pthread_rwlock_rdlock)(rw);
  return green_lock(rw, false, CLOCK_REALTIME, nullptr);
}

GREEN_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* rw) {
  if (!green::intercepting()) return REAL(pthread_rwlock_wrlock)(rw);
  return green_lock(rw, true, CLOCK_REALTIME, nullptr);
}

GREEN_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* rw) {
  if (green_writer_waits(rw)) return EBUSY;
  return REAL(pthread_rwlock_tryrdlock)(rw);
}

GREEN_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* rw) {
  if (!green::intercepting()) return REAL(pthread_rwlock_trywrlock)(rw);
  if (green::owner_of(rw).owner == green::current()) return EBUSY;
  return try_write(rw);
}

GREEN_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t* rw, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_rwlock_timedrdlock)(rw, abstime);
  return green_lock(rw, false, CLOCK_REALTIME, abstime);
}

GREEN_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t* rw, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_rwlock_timedwrlock)(rw, abstime);
  return green_lock(rw, true, CLOCK_REALTIME, abstime);
}

GREEN_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t* rw, clockid_t clock, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_rwlock_clockrdlock)(rw, clock, abstime);
  return green_lock(rw, false, clock, abstime);
}

GREEN_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t* rw, clockid_t clock, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_rwlock_clockwrlock)(rw, clock, abstime);
  return green_lock(rw, true, clock, abstime);
}

GREEN_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* rw) {
  if (green::current() && green::owner_of(rw).owner == green::current()) green::owner_erase(rw);
  int r = REAL(pthread_rwlock_unlock)(rw);
  if (r != 0 || !green::lot::maybe_waiters(rw)) return r;
  // Writers first: the oldest waiting writer alone retries, so a reader
  // parked behind it on another hub cannot take the lock first.
  if (writers_first(rw) && green::lot::count_tag(rw, kWriter) > 0 &&
      green::lot::unpark(rw, 1, green::bits_of_tag(kWriter)) > 0)
    return r;
  green::lot::unpark_all(rw);
  return r;
}

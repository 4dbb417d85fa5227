// sync_sem.cc: sem_wait and friends for green threads (unnamed and named
// semaphores: sem_open hands out the same sem_t).
//
// The semaphore stays glibc's; a green waiter uses sem_trywait and parks in
// the lot keyed by the sem_t (lock_wait.h); sem_post, from any thread, posts
// with glibc (which wakes native waiters) and then unparks one green waiter.
// Process-shared semaphores (pshared != 0, every named one) also poll,
// because a post in another process cannot unpark us.
#include <semaphore.h>

#include <cerrno>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/deadline.h"
#include "sync/parking_lot.h"
#include "sync/lock_wait.h"

namespace {

// glibc's struct new_sem (64-bit atomics): the value, then `private`: 0 for
// a process-private semaphore, FUTEX_PRIVATE_FLAG (glibc's LLL_SHARED, which
// is XORed with the thread's private-futex bit) for a process-shared one.
struct GlibcSem {
  uint64_t data;
  int priv;
  int pad;
};

bool shared(sem_t* s) { return reinterpret_cast<GlibcSem*>(s)->priv != 0; }

int try_take(sem_t* s) {
  int saved = errno;
  int r = sem_trywait(s) == 0 ? 0 : errno;
  errno = saved;
  return r;
}

// 0 or an error number. A cancellation point: a request ends the wait
// (ECANCELED) and cp's end acts on it (cancel.h). A handled signal ends it
// with EINTR as glibc's futex wait ends (signal(7)): a timed wait always, an
// untimed one only without SA_RESTART (the kernel restarts it).
int green_wait(sem_t* s, green::Nanos deadline) {
  green::CancelPoint cp;
  green::lot::SignalEndsPark eintr(deadline == green::kForever);
  return green::park_until_acquired(s, 0, deadline, shared(s), green::WaitReason::kSemaphore, EAGAIN,
                                   [&] { return green::cancel_requested() ? ECANCELED : try_take(s); });
}

int timed_wait(sem_t* s, clockid_t clock, const timespec* abstime) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  green::Nanos deadline;
  if (int rc = green::deadline_from_abstime(clock, abstime, &deadline)) return -rc;
  return green_wait(s, deadline);
}

int errno_ret(int rc) {
  if (rc == 0) return 0;
  errno = rc;
  return -1;
}

}  // namespace

GREEN_EXPORT int sem_wait(sem_t* s) {
  if (!green::intercepting()) return REAL(sem_wait)(s);
  return errno_ret(green_wait(s, green::kForever));
}

GREEN_EXPORT int sem_timedwait(sem_t* s, const timespec* abstime) {
  if (!green::intercepting()) return REAL(sem_timedwait)(s, abstime);
  return errno_ret(timed_wait(s, CLOCK_REALTIME, abstime));
}

GREEN_EXPORT int sem_clockwait(sem_t* s, clockid_t clock, const timespec* abstime) {
  if (!green::intercepting()) return REAL(sem_clockwait)(s, clock, abstime);
  return errno_ret(timed_wait(s, clock, abstime));
}

GREEN_EXPORT int sem_post(sem_t* s) {
  int r = REAL(sem_post)(s);
  if (r == 0 && green::lot::maybe_waiters(s)) {
    int saved = errno;
    green::lot::unpark(s, 1);
    errno = saved;
  }
  return r;
}

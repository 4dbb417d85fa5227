// cond.cc: pthread_cond_* (the design: runtime/sync/cond.cc).
// While green threads are off (glibc lacks a layout fact: green.h,
// green_threads_on) every call is glibc's own, so pass-through is native to
// the letter (cancellation points included).
#include "boundary.h"
#include "green.h"
#include "sync/cond.h"

#include <climits>

GREEN_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (!green::green_threads_on()) return REAL(pthread_cond_wait)(c, m);
  return green::cond_wait(c, m, CLOCK_REALTIME, nullptr);
}

GREEN_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime) {
  if (!green::green_threads_on()) return REAL(pthread_cond_timedwait)(c, m, abstime);
  return green::cond_wait(c, m, green::cond_attr_clock(c), abstime);
}

GREEN_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                                        const timespec* abstime) {
  if (!green::green_threads_on()) return REAL(pthread_cond_clockwait)(c, m, clock, abstime);
  return green::cond_wait(c, m, clock, abstime);
}

GREEN_EXPORT int pthread_cond_signal(pthread_cond_t* c) {
  if (!green::green_threads_on()) return REAL(pthread_cond_signal)(c);
  return green::cond_wake(c, 1);
}
GREEN_EXPORT int pthread_cond_broadcast(pthread_cond_t* c) {
  if (!green::green_threads_on()) return REAL(pthread_cond_broadcast)(c);
  return green::cond_wake(c, INT_MAX);
}

// cond.cc: pthread_cond_* (the design: runtime/sync/cond.cc).
#include "boundary.h"
#include "sync/cond.h"

#include <climits>

GREEN_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  return green::cond_wait(c, m, CLOCK_REALTIME, nullptr);
}

GREEN_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime) {
  return green::cond_wait(c, m, green::cond_attr_clock(c), abstime);
}

GREEN_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                                        const timespec* abstime) {
  return green::cond_wait(c, m, clock, abstime);
}

GREEN_EXPORT int pthread_cond_signal(pthread_cond_t* c) { return green::cond_wake(c, 1); }
GREEN_EXPORT int pthread_cond_broadcast(pthread_cond_t* c) { return green::cond_wake(c, INT_MAX); }

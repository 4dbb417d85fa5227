// mutex.cc: pthread_mutex_* (the design: runtime/sync/mutex.cc).
#include "boundary.h"
#include "sync/mutex.h"

GREEN_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) { return green::mutex_lock(m); }

GREEN_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (!green::intercepting()) return REAL(pthread_mutex_trylock)(m);
  return green::mutex_lock_green(m, true, CLOCK_REALTIME, nullptr);
}

GREEN_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_mutex_timedlock)(m, abstime);
  return green::mutex_lock_green(m, false, CLOCK_REALTIME, abstime);
}

GREEN_EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  if (!green::intercepting()) return REAL(pthread_mutex_clocklock)(m, clock, abstime);
  return green::mutex_lock_green(m, false, clock, abstime);
}

GREEN_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) { return green::mutex_unlock(m); }

// sync_spin.cc: pthread_spin_lock and sched_yield for green threads.
//
// glibc's spin lock never sleeps, so a green thread spinning on a lock held
// by a green thread of the same hub would spin forever: it retries with
// trylock and yields to the hub between attempts. sched_yield on a green
// thread lets the other green threads of its hub run.
#include <pthread.h>
#include <sched.h>

#include "boundary.h"
#include "green.h"

GREEN_EXPORT int pthread_spin_lock(pthread_spinlock_t* l) {
  if (!green::intercepting()) return REAL(pthread_spin_lock)(l);
  while (pthread_spin_trylock(l) != 0) green::yield();
  return 0;
}

GREEN_EXPORT int sched_yield(void) {
  if (!green::intercepting()) return REAL(sched_yield)();
  green::yield();
  return 0;
}

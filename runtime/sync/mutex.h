// mutex.h: the mutex operations of green and native callers (mutex.cc),
// which cond.cc builds on. Any thread: the mutex stays glibc's; green
// owners of owner-dependent kinds are recorded in sync/owner.h.
#pragma once

#include <pthread.h>

#include "green.h"

namespace green {

// pthread_mutex_lock / unlock as the program sees them, from any thread.
int mutex_lock(pthread_mutex_t* m);
int mutex_unlock(pthread_mutex_t* m);
// A green caller's lock: trylock when try_only, timed on clock when
// abstime (0, or an error number).
int mutex_lock_green(pthread_mutex_t* m, bool try_only, clockid_t clock, const timespec* abstime);

// A green thread ended: robust mutexes it held become owner-dead, as the
// kernel does for an exiting OS thread (called from green::on_green_exit).
void sync_on_green_exit(green::Green* g);

}  // namespace green

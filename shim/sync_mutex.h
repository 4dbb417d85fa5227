// sync_mutex.h: the mutex operations other sync files build on (cond).
#pragma once

#include <pthread.h>

#include "green.h"

namespace shim {

// pthread_mutex_lock / unlock as the program sees them, from any thread.
int mutex_lock(pthread_mutex_t* m);
int mutex_unlock(pthread_mutex_t* m);

// A green thread ended: robust mutexes it held become owner-dead, as the
// kernel does for an exiting OS thread (called from shim::on_green_exit).
void sync_on_green_exit(green::Green* g);

}  // namespace shim

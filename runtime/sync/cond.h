// cond.h: pthread_cond_* for every caller, green and native (cond.cc has
// the design). Any thread; a green caller parks, a native one sleeps in the
// kernel, and a signal from either reaches both.
#pragma once

#include <pthread.h>
#include <time.h>

namespace green {

// pthread_cond_wait/timedwait/clockwait: 0, ETIMEDOUT, EINVAL or the mutex's
// error. abstime null: no deadline. A cancellation point.
int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* abstime);
// pthread_cond_signal (n = 1) and broadcast (n = INT_MAX): 0.
int cond_wake(pthread_cond_t* c, int n);
// The clock pthread_condattr_setclock gave c.
clockid_t cond_attr_clock(pthread_cond_t* c);

}  // namespace green

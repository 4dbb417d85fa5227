// sleep.cc: sleep, usleep, nanosleep, clock_nanosleep.
//
// glibc's sleep and usleep call its internal __nanosleep, which no
// interposer sees, so all four are interposed. Each parks on the hub's
// deadline heap (nanosecond precision). An interrupted sleep reports what
// is left, as natively.
#include <time.h>

#include <climits>

#include "boundary.h"
#include "thread/cancel.h"
#include "io/deadline.h"
#include "io/user_memory.h"

namespace {

// Parks until deadline; 0 or -EINTR, and *left is what remained.
int park_until(green::Nanos deadline, green::Nanos* left) {
  int r = green::sleep_until(deadline);
  green::Nanos rest = deadline - green::now();
  *left = r == -EINTR && rest > 0 ? rest : 0;
  return r;
}

bool green_clock(clockid_t c) {
  return c == CLOCK_MONOTONIC || c == CLOCK_REALTIME || c == CLOCK_BOOTTIME || c == CLOCK_TAI;
}

}  // namespace

GREEN_EXPORT int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  if (!green::intercepting() || !green_clock(clock)) return REAL(clock_nanosleep)(clock, flags, req, rem);
  green::CancelPoint cp;
  timespec t;
  if (green::copy_in(&t, req, sizeof t)) return EFAULT;
  if (!green::timespec_valid(t)) return EINVAL;
  green::Nanos deadline = 0;
  if (flags & TIMER_ABSTIME) {
    int rc = green::deadline_from_abstime(clock, &t, &deadline);
    if (rc) return -rc;
  } else {
    deadline = green::deadline_after(t);
  }
  green::Nanos left = 0;
  if (park_until(deadline, &left) == 0) return 0;
  if (rem && !(flags & TIMER_ABSTIME)) {
    timespec r = green::to_timespec(left);
    if (green::copy_out(rem, &r, sizeof r)) return EFAULT;
  }
  return EINTR;
}

GREEN_EXPORT int nanosleep(const timespec* req, timespec* rem) {
  if (!green::intercepting()) return REAL(nanosleep)(req, rem);
  green::CancelPoint cp;
  int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
  if (rc == 0) return 0;
  errno = rc;
  return -1;
}

GREEN_EXPORT int usleep(useconds_t us) {
  if (!green::intercepting()) return REAL(usleep)(us);
  green::CancelPoint cp;
  timespec t{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
  return nanosleep(&t, nullptr);
}

GREEN_EXPORT unsigned int sleep(unsigned int s) {
  if (!green::intercepting()) return REAL(sleep)(s);
  green::CancelPoint cp;
  green::Nanos left = 0;
  timespec t{static_cast<time_t>(s), 0};
  if (park_until(green::deadline_after(t), &left) == 0) return 0;
  return static_cast<unsigned int>((left + 999999999) / 1000000000);
}

#include "io/deadline.h"

#include <cerrno>
#include <climits>

#include "io/user_memory.h"

namespace green {

bool timespec_valid(const timespec& ts) {
  return ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000 && ts.tv_sec >= 0;
}

green::Nanos to_nanos(const timespec& ts) {
  if (ts.tv_sec >= INT64_MAX / 1000000000 - 1) return green::kForever;
  return green::Nanos(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

timespec to_timespec(green::Nanos ns) {
  if (ns < 0) ns = 0;
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

green::Nanos deadline_after(const timespec& rel) {
  green::Nanos d = to_nanos(rel);
  green::Nanos n = green::now();
  return d >= green::kForever - n ? green::kForever : n + d;
}

int deadline_from_abstime(clockid_t clock, const timespec* abstime, green::Nanos* out) {
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000) return -EINVAL;
  if (clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME) {
    timespec b;
    clock_gettime(clock, &b);
    green::Nanos skew = clock == CLOCK_BOOTTIME ? to_nanos(b) - green::now() : 0;
    *out = abstime->tv_sec < 0 ? 0 : to_nanos(*abstime) - skew;
    return 0;
  }
  if (clock != CLOCK_REALTIME && clock != CLOCK_TAI) return -EINVAL;
  timespec wall;
  clock_gettime(clock, &wall);
  green::Nanos rel = (green::Nanos(abstime->tv_sec) - wall.tv_sec) * 1000000000 +
                     (abstime->tv_nsec - wall.tv_nsec);
  green::Nanos n = green::now();
  *out = rel <= 0 ? n : (rel >= green::kForever - n ? green::kForever : n + rel);
  return 0;
}

int deadline_from_user(const timespec* user, green::Nanos* out) {
  *out = green::kForever;
  if (!user) return 0;
  timespec t;
  if (copy_in(&t, user, sizeof t)) return -EFAULT;
  if (!timespec_valid(t)) return -EINVAL;
  *out = deadline_after(t);
  return 0;
}

green::Nanos deadline_ms(int ms) {
  return ms < 0 ? green::kForever : green::now() + green::Nanos(ms) * 1000000;
}

}  // namespace green

// deadline.h: turning libc's timespecs into runtime deadlines (Nanos on
// CLOCK_MONOTONIC). Pure functions but for the clock reads: any thread.
#pragma once

#include <time.h>

#include "green.h"

namespace green {

// abstime on clock -> a CLOCK_MONOTONIC deadline. 0 or -EINVAL (bad
// tv_nsec, unsupported clock). A CLOCK_REALTIME deadline is converted once:
// a later change of the wall clock does not move it (README, limitations).
int deadline_from_abstime(clockid_t clock, const timespec* abstime, green::Nanos* out);

// now + rel, saturating. rel must be valid.
green::Nanos deadline_after(const timespec& rel);

bool timespec_valid(const timespec& ts);

// A relative timeout the program passed by pointer (nullptr: none) as a
// deadline: 0, or -EFAULT (bad pointer) / -EINVAL (bad tv_nsec) as the
// kernel reports them.
int deadline_from_user(const timespec* user, green::Nanos* out);
// poll/epoll_wait's millisecond timeout (negative: none) as a deadline.
green::Nanos deadline_ms(int ms);
green::Nanos to_nanos(const timespec& ts);
timespec to_timespec(green::Nanos ns);

}  // namespace green

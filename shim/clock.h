// clock.h: turning libc's timespecs into runtime deadlines.
#pragma once

#include <time.h>

#include "green.h"

namespace shim {

// abstime on clock -> a CLOCK_MONOTONIC deadline. 0 or -EINVAL (bad
// tv_nsec, unsupported clock). A CLOCK_REALTIME deadline is converted once:
// a later change of the wall clock does not move it (README, limitations).
int deadline_from_abstime(clockid_t clock, const timespec* abstime, green::Nanos* out);

// now + rel, saturating. rel must be valid.
green::Nanos deadline_after(const timespec& rel);

bool timespec_valid(const timespec& ts);
green::Nanos to_nanos(const timespec& ts);
timespec to_timespec(green::Nanos ns);

}  // namespace shim

// debug_log.h: GREEN_DEBUG=1, a rate-limited log on stderr of what
// libgreen does with the program's blocking calls: which interposed call
// parked a green thread and on what, which was offloaded to the pool, which
// passed through in a way that may block its hub, which thread was kept
// native.
//
// Threading: any thread logs. The rate limit is two process-wide budgets
// of 20 lines a second (atomics), one for parks and offloads, one for the
// rare lines (a call that held its OS thread, a native thread); a line over
// its budget is counted, and the count printed with the next line allowed. g_debug is written once at start-up.
#pragma once

#include "green.h"

namespace green {

struct Green;

extern bool g_debug;  // GREEN_DEBUG=1 (config.h)

// Green thread g, about to park for why (switch.cc: park). Names the
// interposer the park came through by unwinding its own stack.
void debug_park(Green* g, WaitReason why);
// debug_pass_through, debug_native_thread: green.h (the shim's).

}  // namespace green

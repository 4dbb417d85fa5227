// debug_log.h: GREEN_DEBUG=1, a rate-limited log on stderr of what
// libgreen does with the program's blocking calls: which interposed call
// parked a green thread and on what, which was offloaded to the pool, which
// passed through and held its OS thread, which thread was kept native,
// which green threads an idle hub took from a busy one (steal.h).
//
// Threading: any thread logs. The rate limit is two process-wide budgets
// of 20 lines a second (atomics), one for parks and offloads, one for the
// rare lines (a call that held its OS thread, a native thread); a line over
// its budget is counted, and the count printed with the next line allowed. g_debug is written once at start-up.
#pragma once

#include "green.h"

namespace green {

struct Green;
struct Hub;

extern bool g_debug;  // GREEN_DEBUG=1 (config.h)

// Green thread g, about to park for why (switch.cc: park). Names the
// interposer the park came through by unwinding its own stack.
void debug_park(Green* g, WaitReason why);
// Hub thief took n green threads from victim, runnable or parked (steal.cc,
// on the victim's thread).
void debug_steal(const Hub* victim, const Hub* thief, size_t n, bool parked);
// debug_pass_through, debug_native_thread: green.h (the shim's).

}  // namespace green

// stack_dump.h: the backtrace of a suspended green thread, for
// `green-stats --stacks` (Go's goroutine dump).
//
// A parked or runnable green thread is suspended in switch_out (switch.cc),
// its registers saved in its Context. Unwinding that stack from another
// context would need per-architecture unwind tables for the saved state;
// instead its hub resumes it for a moment with a StackDump request: the
// green thread, back in switch_out on its own stack and thread pointer,
// unwinds itself with the ordinary unwinder, stores the return addresses and
// switches straight back to its hub, without leaving switch_out. It is
// still parked (or runnable) as far as anything else can tell: no wake, no
// run-queue change, errno restored.
//
// Threading: hub thread only. The StackDump lives on the hub's stack for
// the length of capture_stack; Green::dump points at it only meanwhile.
#pragma once

#include <cstdint>

namespace green {

struct Hub;
struct Green;

struct StackDump {
  uintptr_t* pcs;  // return addresses, innermost first (each minus one: the call)
  int max;
  int n = 0;
};

// Hub thread, in the hub's context: fills pcs with g's backtrace and
// returns how many frames; 0 when g is not suspended on this hub (new,
// running, handed off, ended).
int capture_stack(Hub* h, Green* g, uintptr_t* pcs, int max);

// Green thread, in switch_out after its context was resumed: answers the
// pending request, if any (a loop: each answer switches to the hub, which
// may ask again before really resuming it).
void answer_stack_dumps(Green* g);

}  // namespace green

// stack_dump.cc: a suspended green thread unwinds its own stack on its
// hub's request (stack_dump.h).
#include "sched/stack_dump.h"

#include <unwind.h>

#include "sched/context.h"
#include "sched/hub.h"
#include "sched/passthrough.h"

namespace green {

void make_running(Hub* h, Green* g);  // switch.cc

namespace {

// Every frame up to green_entry (a spawned thread's bottom) or the end of
// the stack; libgreen's own inner frames included (the report trims them).
_Unwind_Reason_Code visit(_Unwind_Context* c, void* arg) {
  auto d = static_cast<StackDump*>(arg);
  if (_Unwind_GetRegionStart(c) == green_entry_start()) return _URC_NORMAL_STOP;
  int exact = 0;
  uintptr_t pc = _Unwind_GetIPInfo(c, &exact);
  if (!pc || d->n >= d->max) return _URC_NORMAL_STOP;
  d->pcs[d->n++] = exact ? pc : pc - 1;
  return _URC_NO_REASON;
}

__attribute__((noinline)) void unwind_into(StackDump* d) { _Unwind_Backtrace(visit, d); }

}  // namespace

int capture_stack(Hub* h, Green* g, uintptr_t* pcs, int max) {
  if (g->hub != h || !g->tcb_bound || h->running) return 0;
  if (g->state != GreenState::kParked && g->state != GreenState::kRunnable) return 0;
  StackDump d{pcs, max};
  GreenState was = g->state;
  g->dump = &d;
  make_running(h, g);
  context_switch(&h->ctx, &g->ctx);
  h->running = nullptr;
  h->on_cpu.store(nullptr, std::memory_order_relaxed);
  g->state = was;
  return d.n;
}

void answer_stack_dumps(Green* g) {
  while (StackDump* d = g->dump) {
    {
      PassThrough pt;  // runtime code: the unwinder, never a hand-off point
      unwind_into(d);
    }
    g->dump = nullptr;
    context_switch(&g->ctx, &g->hub->ctx);
  }
}

}  // namespace green

// runtime_switch: the runtime's own costs, without the shim (issues 2 and 6).
//
//   park_resume_roundtrip  one green thread parks, another wakes it and parks
//                          in turn: a round trip is two parks and two resumes
//   yield_switch           one switch between two yielding green threads
//   raw_context_switch     context_switch() alone, between two contexts
//   green_create_join      spawn + run to completion + join, stacks pooled
//
// Prints "name value unit" lines like the micro_* benchmarks, plus the
// context-switch backend the runtime was built with (meson -Dswitch=...).
#include <cstdio>
#include <cstdlib>

#include "sched/context.h"
#include "green.h"
#include "sched/stack.h"

namespace {

constexpr long kRounds = 200000;

struct PingPong {
  green::Green* peer[2] = {};
  uint64_t seq[2] = {};
  bool parked[2] = {};
};

// Each side wakes the other, then parks until woken back.
void* ping_pong_side(void* arg) {
  auto pp = static_cast<PingPong*>(arg);
  int me = green::current() == pp->peer[0] ? 0 : 1;
  for (long i = 0; i < kRounds; i++) {
    int other = 1 - me;
    if (pp->parked[other]) {
      pp->parked[other] = false;
      green::wake(pp->peer[other], pp->seq[other], 0);
    }
    pp->seq[me] = green::park_seq(green::current());
    pp->parked[me] = true;
    if (i == kRounds - 1 && me == 1) break;  // the last round: nobody to wake us
    green::park(green::WaitReason::kTest);
  }
  int other = 1 - me;
  if (pp->parked[other]) {
    pp->parked[other] = false;
    green::wake(pp->peer[other], pp->seq[other], 0);
  }
  return nullptr;
}

double park_resume_roundtrip() {
  PingPong pp;
  green::SpawnAttr attr;
  green::Green* a = nullptr;
  green::Green* b = nullptr;
  green::Nanos t0 = green::now();
  green::spawn(ping_pong_side, &pp, attr, &a);
  pp.peer[0] = a;
  green::spawn(ping_pong_side, &pp, attr, &b);
  pp.peer[1] = b;
  green::join(a, nullptr);
  green::join(b, nullptr);
  return double(green::now() - t0) / kRounds;
}

void* yielder(void*) {
  for (long i = 0; i < kRounds; i++) green::yield();
  return nullptr;
}

double yield_switch() {
  green::SpawnAttr attr;
  green::Green* a = nullptr;
  green::Green* b = nullptr;
  green::Nanos t0 = green::now();
  green::spawn(yielder, nullptr, attr, &a);
  green::spawn(yielder, nullptr, attr, &b);
  green::join(a, nullptr);
  green::join(b, nullptr);
  return double(green::now() - t0) / (2.0 * kRounds);
}

green::Context g_main_ctx, g_other_ctx;

void bouncer(void*) {
  for (;;) green::context_switch(&g_other_ctx, &g_main_ctx);
}

double raw_context_switch() {
  green::Stack s;
  if (green::stack_map(64 * 1024, &s) != 0) return -1;
  green::context_make(&g_other_ctx, s.lo(), s.usable(), bouncer, nullptr);
  green::Nanos t0 = green::now();
  for (long i = 0; i < kRounds; i++) green::context_switch(&g_main_ctx, &g_other_ctx);
  double per = double(green::now() - t0) / (2.0 * kRounds);
  green::stack_unmap(&s);
  return per;
}

void* nothing(void*) { return nullptr; }

double green_create_join() {
  green::SpawnAttr attr;
  green::Green* g = nullptr;
  for (int i = 0; i < 1000; i++) {  // warm the stack pool
    green::spawn(nothing, nullptr, attr, &g);
    green::join(g, nullptr);
  }
  green::Nanos t0 = green::now();
  for (long i = 0; i < kRounds / 4; i++) {
    green::spawn(nothing, nullptr, attr, &g);
    green::join(g, nullptr);
  }
  return double(green::now() - t0) / (kRounds / 4);
}

void report(const char* name, double ns) { std::printf("%s %.1f ns\n", name, ns); }

}  // namespace

int main() {
  green::adopt_current_thread();
  std::printf("# context switch backend: %s\n", green::context_backend());
  report("raw_context_switch", raw_context_switch());
  report("yield_switch", yield_switch());
  report("park_resume_roundtrip", park_resume_roundtrip());
  report("green_create_join", green_create_join());
  return 0;
}

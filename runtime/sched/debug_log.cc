// debug_log.cc: GREEN_DEBUG's lines (debug_log.h).
//
//   libgreen: debug: green 5 "worker" (hub 0): read parks: IO wait (read), fd 7
//   libgreen: debug: green 1 "python3" (hub 0): getaddrinfo is offloaded to the pool
//   libgreen: debug: green 3 "ib_io" (hub 1): syscall(208) passes through; it may block
//   libgreen: debug: 4711 more lines in the last 1.0 s not shown (at most 20 a second)
#include "sched/debug_log.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unwind.h>

#include <atomic>
#include <cstdint>
#include <cstdio>

#include "os/check.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/passthrough.h"

namespace green {

bool g_debug = false;

namespace {

constexpr int kLinesPerSecond = 20;

// One budget of kLinesPerSecond: the second it is for (CLOCK_MONOTONIC),
// lines printed in it, lines not printed since the last that was.
struct Budget {
  std::atomic<int64_t> window{-1};
  std::atomic<int> used{0};
  std::atomic<long> dropped{0};
};

// Parks come by the thousand a second; a call that held its OS thread or a
// native thread is rare and the line a user looks for: its own budget, so
// a flood of parks never hides it.
Budget g_parks, g_rare;

constexpr uint64_t kHeldReportNs = 1'000'000;  // a pass-through this long is worth a line

uint64_t now_ns() {
  timespec ts{};
  sys::call(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

int64_t now_s() { return static_cast<int64_t>(now_ns() / 1'000'000'000u); }

// Whether a line may be printed now from budget b; says first how many
// were not.
bool allowed(Budget& b) {
  int64_t s = now_s();
  int64_t w = b.window.load(std::memory_order_relaxed);
  if (w != s && b.window.compare_exchange_strong(w, s, std::memory_order_relaxed)) b.used.store(0);
  if (b.used.fetch_add(1, std::memory_order_relaxed) >= kLinesPerSecond) {
    b.dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (long n = b.dropped.exchange(0, std::memory_order_relaxed))
    report("libgreen: debug: %ld more lines not shown (at most %d a second)", n, kLinesPerSecond);
  return true;
}

// The interposer a park came through: walking up from debug_park, the
// first frame inside one of libgreen's exported functions (its dynamic
// symbol's extent holds the pc; a static helper's frame does not match).
struct CallSearch {
  void* self_base;
  const char* name = nullptr;
  int depth = 0;
};

_Unwind_Reason_Code find_interposer(_Unwind_Context* c, void* arg) {
  auto s = static_cast<CallSearch*>(arg);
  if (++s->depth > 24) return _URC_NORMAL_STOP;
  int exact = 0;
  uintptr_t pc = _Unwind_GetIPInfo(c, &exact);
  if (!pc) return _URC_NORMAL_STOP;
  if (!exact) pc--;
  Dl_info info{};
  void* entry = nullptr;
  if (!dladdr1(reinterpret_cast<void*>(pc), &info, &entry, RTLD_DL_SYMENT)) return _URC_NORMAL_STOP;
  if (info.dli_fbase != s->self_base) return _URC_NORMAL_STOP;  // left libgreen: the program's frame
  if (!entry || !info.dli_sname) return _URC_NO_REASON;
  auto sym = static_cast<const ElfW(Sym)*>(entry);
  auto lo = reinterpret_cast<uintptr_t>(info.dli_saddr);
  if (pc >= lo && pc < lo + sym->st_size && ELF64_ST_BIND(sym->st_info) != STB_LOCAL) s->name = info.dli_sname;
  return _URC_NO_REASON;  // keep the outermost match: read(), not a helper it shares
}

const char* call_name() {
  Dl_info self{};
  if (!dladdr(reinterpret_cast<void*>(&call_name), &self)) return "a call";
  CallSearch s{self.dli_fbase};
  _Unwind_Backtrace(find_interposer, &s);
  return s.name ? s.name : "a call";
}

// `green 5 "worker" (hub 0)`, or `thread 1234` off any green thread.
void who(char* out, size_t size) {
  Hub* h = t_hub;
  Green* g = h ? h->running : nullptr;
  if (g) snprintf(out, size, "green %llu \"%s\" (hub %d)", static_cast<unsigned long long>(g->id), g->name, h->index);
  else snprintf(out, size, "thread %ld", sys::call(SYS_gettid));
}

}  // namespace


void debug_park(Green* g, WaitReason why) {
  PassThrough pt;
  if (!allowed(g_parks)) return;
  char w[64];
  who(w, sizeof w);
  const char* call = call_name();
  if (why == WaitReason::kOffload) {
    report("libgreen: debug: %s: %s is offloaded to the pool", w, call);
  } else if (g->wait_fd >= 0) {
    report("libgreen: debug: %s: %s parks: %s, fd %d%s", w, call, wait_reason_text(why), g->wait_fd,
           g->wait_nfds > 1 ? " and more" : "");
  } else {
    report("libgreen: debug: %s: %s parks: %s", w, call, wait_reason_text(why));
  }
}

uint64_t debug_pass_through_begin() {
  if (!g_debug || !intercepting()) return 0;
  return now_ns();
}

void debug_pass_through_end(uint64_t begin, const char* what) {
  if (!begin) return;
  uint64_t held = now_ns() - begin;
  if (held < kHeldReportNs) return;
  PassThrough pt;
  if (!allowed(g_rare)) return;
  char w[64];
  who(w, sizeof w);
  report("libgreen: debug: %s: %s passed through and held its OS thread %llu ms", w, what,
         static_cast<unsigned long long>(held / 1'000'000u));
}

void debug_steal(const Hub* victim, const Hub* thief, size_t n, bool parked) {
  if (!g_debug) return;
  PassThrough pt;
  if (!allowed(g_rare)) return;
  report("libgreen: debug: hub %d took %zu %s green thread%s from hub %d", thief->index, n,
         parked ? "waiting" : "runnable", n == 1 ? "" : "s", victim->index);
}

void debug_native_thread(const char* why) {
  if (!g_debug) return;
  PassThrough pt;
  if (!allowed(g_rare)) return;
  char w[64];
  who(w, sizeof w);
  report("libgreen: debug: %s: starts a native OS thread (%s)", w, why);
}

}  // namespace green

// start.cc: the runtime's start-up, in layer order (green.h: start()).
//
// Settings first (a bad GREEN_* value stops the program before anything
// runs), then the real libc functions, the pthread layer's hooks into the
// scheduler, the calling thread adopted as green thread 1 of hub 0, the
// monitor (hand-off and GREEN_MONITOR_MS; its signal handler before any
// hub unblocks that signal), the other hubs (GREEN_HUBS > 1) and the stats
// socket (GREEN_STATS=1).
#include <gnu/libc-version.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "config/config.h"
#include "os/check.h"
#include "tls/tcb.h"
#include "glibc/real.h"
#include "green.h"
#include "sched/debug_log.h"
#include "sched/hub.h"
#include "sched/monitor.h"
#include "sched/steal.h"
#include "stats/stats.h"
#include "signal/masks.h"
#include "thread/posix_thread.h"

namespace green {

namespace {
std::atomic<bool> g_on{false};  // written once by start(), read by any thread
}  // namespace

bool green_threads_on() { return g_on.load(std::memory_order_acquire); }

namespace {
// valgrind's launcher preloads its vgpreload_<tool>-<arch>.so into the
// program it runs, beside whatever LD_PRELOAD held.
bool under_valgrind() {
  const char* p = getenv("LD_PRELOAD");
  return p && strstr(p, "/vgpreload_");
}
}  // namespace

void start() {
  config_load();
  real::resolve_all();
  // Under valgrind, one line and pass-through: it cannot follow a switch to
  // a green thread's stack (memcheck reports every access there), and it
  // runs one thread at a time anyway.
  if (under_valgrind()) {
    report("libgreen: running under valgrind, which cannot follow green threads' stack switches; "
           "green threads are off, the program runs with native threads");
    return;
  }
  // A glibc without a fact libgreen's threads need (tls_layout.h): one line,
  // then no hub ever exists and every interposer passes through
  // (intercepting() is false everywhere): the program runs natively.
  if (const char* missing = tcb_init()) {
    report("libgreen: glibc %s lacks %s; green threads are off, the program runs with "
           "native threads",
           gnu_get_libc_version(), missing);
    return;
  }
  g_on.store(true, std::memory_order_release);
  g_debug = config().debug;
  set_exit_hook(on_green_exit);
  signal_state_init();
  // The probe's handler first: hubs unblock its signal (signal/masks.cc).
  monitor_start();
  adopt_current_thread();
  g_steal = config().steal && config().hubs > 1;  // before the hub threads read it
  for (int i = 1; i < config().hubs; i++) start_hub_thread(i);
  stats_start();
}

}  // namespace green

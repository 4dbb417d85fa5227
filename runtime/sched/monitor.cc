#include "sched/monitor.h"
#include "glibc/real.h"
#include "os/sys.h"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdint>

#include "os/check.h"
#include "config/config.h"
#include "sched/hub.h"
#include "sched/passthrough.h"

namespace green {

namespace {

// The watchdog asks a stuck hub thread for its backtrace with this signal;
// the handler runs on that thread, inside the stuck green thread's frames.
int backtrace_signal() { return SIGRTMAX; }

void print_backtrace(int) {
  void* frames[48];
  int n = backtrace(frames, 48);
  backtrace_symbols_fd(frames, n, 2);
}

// What the watchdog last saw of one hub (watchdog thread only).
struct Seen {
  uint64_t resumes = 0;
  Nanos since = 0;
  bool reported = false;
};

void check_hub(int i, Hub* h, Seen* seen, Nanos t_now) {
  uint64_t resumes = h->resumes.load(std::memory_order_relaxed);
  Green* g = h->on_cpu.load(std::memory_order_acquire);
  if (!g || resumes != seen->resumes) {
    *seen = Seen{resumes, t_now, false};
    return;
  }
  Nanos stuck_ms = (t_now - seen->since) / 1000000;
  if (seen->reported || stuck_ms < config().monitor_ms) return;
  seen->reported = true;
  report("libgreen: hub %d has run green thread %llu (%s) for %lld ms without parking: a CPU-bound "
         "loop or a blocking call libgreen does not intercept stalls every green thread of the "
         "hub (GREEN_MONITOR_MS=%d). Its backtrace:",
         i, static_cast<unsigned long long>(g->id), g->name, static_cast<long long>(stuck_ms),
         config().monitor_ms);
  REAL(pthread_kill)(static_cast<pthread_t>(h->os_thread), backtrace_signal());
}

void* watchdog(void*) {
  constexpr int kMaxWatched = 256;
  static Seen seen[kMaxWatched];
  Nanos period = Nanos(config().monitor_ms) * 1000000 / 2;
  for (;;) {
    timespec ts{static_cast<time_t>(period / 1000000000), static_cast<long>(period % 1000000000)};
    sys::nanosleep(&ts);
    Nanos t_now = now();
    for (int i = 0; i < hub_count() && i < kMaxWatched; i++)
      if (Hub* h = hub_at(i)) check_hub(i, h, &seen[i], t_now);
  }
  return nullptr;
}

}  // namespace

void monitor_start() {
  if (config().monitor_ms <= 0) return;
  PassThrough real_calls;  // a native thread and a real handler, not green ones
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc now: the first call is not signal-safe
  struct sigaction sa{};
  sa.sa_handler = print_backtrace;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  GREEN_CHECK(REAL(sigaction)(backtrace_signal(), &sa, nullptr) == 0, "monitor signal");
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  sigset_t all, old;  // the watchdog takes no signal of the program's (DESIGN rule 5)
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  GREEN_CHECK(REAL(pthread_create)(&t, &attr, watchdog, nullptr) == 0, "monitor thread");
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  REAL(pthread_attr_destroy)(&attr);
}

}  // namespace green

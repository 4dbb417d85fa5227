// monitor.cc: the monitor thread (monitor.h). It reads each hub's resume
// count and running green thread (atomics the hub writes) and acts through
// the probe (handoff.cc) and hub_dispatch (machine.cc); it touches no hub
// state itself.
#include "sched/monitor.h"
#include "glibc/real.h"
#include "os/sys.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <cstring>
#include <cstdio>
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "os/check.h"
#include "config/config.h"
#include "sched/hub.h"
#include "sched/machine.h"
#include "sched/passthrough.h"

namespace green {

namespace {

constexpr Nanos kMs = 1000000;

// What the monitor last saw of one hub (monitor thread only).
struct Seen {
  uint64_t resumes = 0;
  Green* g = nullptr;
  Nanos since = 0;
  Nanos next_probe = 0;
  Nanos backoff = 0;
  bool reported = false;
  Green* lost = nullptr;  // the green thread the last hand-off detached
  Nanos lost_since = 0;
  bool lost_reported = false;
  Nanos cpu0 = 0;         // the watchdog's first look: the M's CPU time,
  Nanos cpu_t0 = 0;       // and when (0: not looked yet)
  Nanos ho_cpu0 = 0;      // the same for the hand-off
  Nanos ho_t0 = 0;
};

// The watchdog's rate limit (monitor thread only).
Nanos g_last_watchdog = 0;
int g_watchdog_suppressed = 0;

void sleep_ns(Nanos ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  sys::nanosleep(&ts);
}

// The probe's handler runs at once on a running thread: wait briefly for it
// so the hub is dispatched now, not a period later.
void dispatch_soon(Hub* h) {
  for (int i = 0; i < 20 && h->hold.load(std::memory_order_acquire) != kTaken; i++) sleep_ns(100000);
  if (h->hold.load(std::memory_order_acquire) == kTaken) hub_dispatch(h);
}

void report_stuck(int i, Green* g, Nanos stuck, bool handed_off) {
  report("libgreen: hub %d has run green thread %llu (%s) for %lld ms without parking: a CPU-bound "
         "loop or a blocking call libgreen does not intercept%s (GREEN_MONITOR_MS=%d). Its backtrace:",
         i, static_cast<unsigned long long>(g->id), g->name, static_cast<long long>(stuck / kMs),
         handed_off ? "; the hub's other green threads were handed to another OS thread"
                    : "; it is inside libgreen, so the hub's other green threads wait",
         config().monitor_ms);
}

// CPU time of the OS thread m, or -1.
Nanos thread_cpu(Machine* m) {
  clockid_t cid;
  timespec ts{};
  if (REAL(pthread_getcpuclockid)(static_cast<pthread_t>(m->os_thread), &cid) != 0 || clock_gettime(cid, &ts) != 0)
    return -1;
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The kernel's state of thread tid: 'R' running or runnable, 'S'/'D' asleep
// in a system call, ...; '?' when unknown.
char thread_state(pid_t tid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  int fd = sys::openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '?';
  long n = sys::read(fd, buf, sizeof buf - 1);
  sys::close(fd);
  if (n <= 0) return '?';
  buf[n] = '\0';
  const char* paren = strrchr(buf, ')');  // the name may hold spaces and parentheses
  return paren && paren[1] == ' ' ? paren[2] : '?';
}

void watchdog_report(int i, Green* g, Nanos stuck, const char* doing) {
  report("libgreen: watchdog: hub %d has waited %lld ms for green thread %llu (%s), which is %s "
         "%s, so the hub's other green threads wait (GREEN_MONITOR_MS=0 turns this report off; at "
         "most one every %d s%s). Its backtrace:",
         i, static_cast<long long>(stuck / kMs), static_cast<unsigned long long>(g->id), g->name, doing,
         config().handoff_ms > 0 ? "inside libgreen, where its hub cannot be handed off"
                                 : "with hand-off off (GREEN_HANDOFF_MS=0)",
         kWatchdogQuietS, g_watchdog_suppressed ? ", some were left out" : "");
  g_watchdog_suppressed = 0;
}

// The watchdog (GREEN_MONITOR_MS unset): a hub that has waited kWatchdogMs
// for one green thread the hand-off could not detach. Before it speaks it
// checks, over the last half of that time, that the OS thread computed or
// slept in a call: an OS thread the kernel did not run (a busy machine) is
// not a stall of libgreen's.
void check_watchdog(int i, Hub* h, Seen* s, Green* g, Nanos stuck, Nanos t_now, uint64_t resumes) {
  Machine* m = h->m.load(std::memory_order_acquire);
  if (!m || stuck < kWatchdogMs * kMs / 2) return;
  if (s->cpu_t0 == 0) {
    s->cpu0 = thread_cpu(m);
    s->cpu_t0 = t_now;
    return;
  }
  if (stuck < kWatchdogMs * kMs || t_now - s->cpu_t0 < kWatchdogMs * kMs / 2) return;
  Nanos cpu = thread_cpu(m);
  char state = thread_state(m->tid);
  bool computing = s->cpu0 >= 0 && cpu - s->cpu0 >= (t_now - s->cpu_t0) / 2;
  bool asleep = state == 'S' || state == 'D';
  if (!computing && !asleep) {  // preempted: look again over the next window
    s->cpu0 = cpu;
    s->cpu_t0 = t_now;
    return;
  }
  s->reported = true;
  if (g_last_watchdog && t_now - g_last_watchdog < kWatchdogQuietS * 1000 * kMs) {
    g_watchdog_suppressed++;
    return;
  }
  g_last_watchdog = t_now;
  watchdog_report(i, g, stuck, computing ? "computing" : "blocked in a system call");
  probe_send(h, nullptr, g, resumes, kProbeBacktrace);
}

void check_lost(int i, Hub* h, Seen* s, Nanos t_now) {
  Green* lost = h->lost.load(std::memory_order_relaxed);
  if (lost != s->lost) {
    s->lost = lost;
    s->lost_since = s->since;
    s->lost_reported = false;
  }
  if (!lost || s->lost_reported || config().monitor_ms <= 0) return;
  Nanos stuck = t_now - s->lost_since;
  if (stuck < config().monitor_ms * kMs) return;
  s->lost_reported = true;
  report_stuck(i, lost, stuck, true);
  // The lost thread's M is not h->m any more; its block still names h.
  probe_send(h, h->lost_m.load(std::memory_order_relaxed), lost, 0, kProbeBacktrace);
}

// Whether the M holding h, whose green thread has not come back for the
// hand-off threshold, computed or slept in a call over the last window (at
// least half the threshold): then a spare M can run the hub's other green
// threads. An M the kernel did not run (more runnable threads than CPUs)
// is not stuck: a spare would only queue for the same CPUs, and the stuck
// green thread would wait for its hub back (measured: 80 hand-offs a
// second and 15-30 ms p99 on bench/cpu_bench.sh's skewed load without this).
bool m_held_cpu(Hub* h, Seen* s, Nanos t_now) {
  Machine* m = h->m.load(std::memory_order_acquire);
  if (!m) return false;
  Nanos window = config().handoff_ms * kMs / 2;
  if (s->ho_t0 == 0) {  // the first look, half-way to the threshold
    s->ho_cpu0 = thread_cpu(m);
    s->ho_t0 = t_now;
    return false;
  }
  if (t_now - s->ho_t0 < window) return false;
  Nanos cpu = thread_cpu(m);
  bool computing = s->ho_cpu0 >= 0 && cpu >= 0 && cpu - s->ho_cpu0 >= (t_now - s->ho_t0) / 2;
  char state = computing ? 'R' : thread_state(m->tid);
  bool asleep = state == 'S' || state == 'D';
  if (computing || asleep || cpu < 0) return true;
  s->ho_cpu0 = cpu;  // preempted: look again over the next window
  s->ho_t0 = t_now;
  return false;
}

void check_hub(int i, Hub* h, Seen* s, Nanos t_now) {
  if (h->hold.load(std::memory_order_acquire) == kTaken) hub_dispatch(h);
  check_lost(i, h, s, t_now);
  uint64_t resumes = h->resumes.load(std::memory_order_relaxed);
  Green* g = h->on_cpu.load(std::memory_order_acquire);
  if (!g || resumes != s->resumes || g != s->g) {
    s->resumes = resumes;
    s->g = g;
    s->since = t_now;
    s->next_probe = 0;
    s->backoff = config().handoff_ms * kMs;
    s->reported = false;
    s->cpu_t0 = 0;
    s->ho_t0 = 0;
    return;
  }
  Nanos stuck = t_now - s->since;
  uint32_t ran_ms = static_cast<uint32_t>(stuck / kMs);
  if (ran_ms > h->longest_run_ms.load(std::memory_order_relaxed))
    h->longest_run_ms.store(ran_ms, std::memory_order_relaxed);
  if (config().handoff_ms > 0 && s->ho_t0 == 0 && stuck >= config().handoff_ms * kMs / 2) m_held_cpu(h, s, t_now);
  if (config().handoff_ms > 0 && stuck >= config().handoff_ms * kMs && t_now >= s->next_probe &&
      m_held_cpu(h, s, t_now)) {
    // Asked again, later and later, while it stays inside libgreen.
    s->next_probe = t_now + s->backoff;
    s->backoff = std::min<Nanos>(s->backoff * 2, 1000 * kMs);
    probe_send(h, nullptr, g, resumes, kProbeHandOff);
    dispatch_soon(h);
  }
  if (config().monitor_ms > 0 && !s->reported && stuck >= config().monitor_ms * kMs &&
      h->on_cpu.load(std::memory_order_acquire) == g) {
    s->reported = true;
    report_stuck(i, g, stuck, false);
    probe_send(h, nullptr, g, resumes, kProbeBacktrace);
  }
  if (config().watchdog && !s->reported && h->on_cpu.load(std::memory_order_acquire) == g)
    check_watchdog(i, h, s, g, stuck, t_now, resumes);
}

void* monitor(void*) {
  constexpr int kMaxWatched = 256;
  static Seen seen[kMaxWatched];
  int thresholds[] = {config().handoff_ms, config().monitor_ms, config().watchdog ? kWatchdogMs : 0};
  int least = 0;
  for (int t : thresholds)
    if (t > 0 && (least == 0 || t < least)) least = t;
  Nanos period = std::max<Nanos>(least * kMs / 2, kMs / 2);
  for (;;) {
    sleep_ns(period);
    Nanos t_now = now();
    for (int i = 0; i < hub_count() && i < kMaxWatched; i++)
      if (Hub* h = hub_at(i)) check_hub(i, h, &seen[i], t_now);
  }
  return nullptr;
}

}  // namespace

void monitor_start() {
  if (config().monitor_ms <= 0 && config().handoff_ms <= 0 && !config().watchdog) return;
  PassThrough real_calls;  // a native thread and a real handler, not green ones
  if (int rc = probe_init()) {  // valgrind keeps SIGRTMAX for itself (EINVAL)
    report("libgreen: the monitor's signal %d cannot be handled (%s); no hand-off and no watchdog: "
           "a thread that computes or blocks outside libgreen stops its hub's other threads",
           probe_signal(), strerror(-rc));
    return;
  }
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  REAL(pthread_attr_setstacksize)(&attr, 256 * 1024);
  pthread_t t;
  sigset_t all, old;  // the monitor takes no signal of the program's (DESIGN rule 5)
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, &old);
  GREEN_CHECK(REAL(pthread_create)(&t, &attr, monitor, nullptr) == 0, "monitor thread");
  REAL(pthread_sigmask)(SIG_SETMASK, &old, nullptr);
  REAL(pthread_attr_destroy)(&attr);
}

}  // namespace green

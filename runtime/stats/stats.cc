// stats.cc: the live stats report (stats.h), on the stats thread. It reads
// only atomics and what each hub hands back in its HubReport.
#include "stats/stats.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "os/sys.h"
#include "sched/hub.h"
#include "sched/passthrough.h"
#include "sched/stack.h"
#include "stats/json.h"

namespace green {

namespace {

// How long a hub has to answer: its counts are quick; a backtrace of each
// of thousands of green threads takes longer (~20 us each).
constexpr long kAnswerMs = 250;
constexpr long kStacksAnswerMs = 5000;

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  sys::nanosleep(&ts);
}

// Asks h for its part; false when it did not answer in time (a green thread
// holds it without parking and has not been handed off).
bool ask_hub(Hub* h, HubReport* r) {
  HubReport* none = nullptr;
  if (!h->report_req.compare_exchange_strong(none, r, std::memory_order_release)) return false;
  {
    PassThrough pt;  // libuv's write to its eventfd is the real one
    uv_async_send(&h->inbox_async);
  }
  long patience = r->detail == Detail::kStacks ? kStacksAnswerMs : kAnswerMs;
  for (long waited = 0; waited < patience; waited++) {
    if (r->done.load(std::memory_order_acquire)) return true;
    sleep_ms(1);
  }
  HubReport* mine = r;
  if (h->report_req.compare_exchange_strong(mine, nullptr, std::memory_order_acq_rel)) return false;
  while (!r->done.load(std::memory_order_acquire)) sleep_ms(1);  // taken: it is being written
  return true;
}

// "Threads:" and "VmRSS:"/"VmHWM:" of /proc/self/status.
long status_field(const char* text, const char* name) {
  const char* p = strstr(text, name);
  return p ? strtol(p + strlen(name), nullptr, 10) : -1;
}

void add_process(JsonOut& j) {
  char status[4096] = {};
  int fd = sys::openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    long n = sys::read(fd, status, sizeof status - 1);
    status[n > 0 ? n : 0] = '\0';
    sys::close(fd);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  j.field("pid", getpid(), true);
  j.field("os_threads", status_field(status, "Threads:"));
  j.field("rss_kib", status_field(status, "VmRSS:"));
  j.field("peak_rss_kib", status_field(status, "VmHWM:"));
  j.field("cpu_ms", (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
  j.raw(",").key("green").raw("{");
  j.field("live", live_greens(), true).field("peak", peak_greens());
  j.field("created", static_cast<int64_t>(greens_created()));
  j.raw("}");
  j.raw(",").key("stacks").raw("{");
  j.field("mapped", static_cast<int64_t>(stacks_mapped()), true);
  j.field("mapped_kib", static_cast<int64_t>(stacks_mapped_bytes() / 1024));
  j.raw("}");
}

void add_hub(JsonOut& j, int i, Hub* h, Detail detail) {
  j.raw("{").field("index", i, true);
  j.field("resumes", static_cast<int64_t>(h->resumes.load(std::memory_order_relaxed)));
  j.field("handoffs", static_cast<int64_t>(h->handoffs.load(std::memory_order_relaxed)));
  j.field("steals", static_cast<int64_t>(h->steals.load(std::memory_order_relaxed)));
  j.field("given", static_cast<int64_t>(h->given.load(std::memory_order_relaxed)));
  j.field("longest_run_ms", h->longest_run_ms.load(std::memory_order_relaxed));
  Green* on_cpu = h->on_cpu.load(std::memory_order_acquire);
  j.field("running", on_cpu ? static_cast<int64_t>(on_cpu->id) : 0);
  j.raw(",").key("parks").raw("{");
  bool first = true;
  for (int w = 0; w < kWaitReasons; w++) {
    uint64_t n = h->parks[w].load(std::memory_order_relaxed);
    if (!n) continue;
    j.field(wait_reason_text(static_cast<WaitReason>(w)), static_cast<int64_t>(n), first);
    first = false;
  }
  j.raw("}");
  HubReport r;
  r.detail = detail;
  bool answered = ask_hub(h, &r);
  j.raw(",").key("answered").boolean(answered);
  if (answered) j.raw(r.json.c_str());
  j.raw("}");
}

}  // namespace

std::string stats_json(Detail detail) {
  std::string out;
  JsonOut j(&out);
  j.raw("{");
  add_process(j);
  j.raw(",").key("hubs").raw("[");
  for (int i = 0; i < hub_count(); i++) {
    Hub* h = hub_at(i);
    if (!h) continue;
    if (i) j.raw(",");
    add_hub(j, i, h, detail);
  }
  j.raw("]}\n");
  return out;
}

}  // namespace green

// hub_report.cc: a hub's own part of the live stats (stats.h), built on the
// hub's OS thread from the state only it may read: its run queue, its green
// threads and what each waits for.
#include "stats/stats.h"

#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>

#include "os/sys.h"
#include "sched/hub.h"
#include "sched/stack_dump.h"
#include "stats/json.h"

namespace green {

namespace {

const char* state_text(GreenState s) {
  switch (s) {
    case GreenState::kNew: return "new";
    case GreenState::kRunnable: return "runnable";
    case GreenState::kRunning: return "running";
    case GreenState::kParked: return "parked";
    case GreenState::kExiting: return "exiting";
    case GreenState::kDead: return "dead";
  }
  return "?";
}

// What an fd a green thread waits on is: a listening socket (so the wait is
// an accept), a socket, a pipe or FIFO, or another file.
const char* fd_kind(int fd) {
  struct stat st;
  if (sys::call(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) != 0) return "closed";
  if (S_ISSOCK(st.st_mode)) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (sys::call(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening)
      return "listening socket";
    return "socket";
  }
  if (S_ISFIFO(st.st_mode)) return "pipe";
  if (S_ISCHR(st.st_mode)) return "character device";
  return "file";
}

// Bytes of g's stack that are in memory (mincore over its usable part).
size_t stack_committed(const Green* g) {
  const Stack& s = g->stack;
  if (!s.map) return 0;
  size_t page = 4096;
  size_t pages = s.usable() / page;
  unsigned char vec[1024];
  size_t in = 0;
  for (size_t done = 0; done < pages;) {
    size_t n = pages - done < sizeof vec ? pages - done : sizeof vec;
    if (sys::call(SYS_mincore, s.lo() + done * page, n * page, vec) != 0) return in;
    for (size_t i = 0; i < n; i++) in += (vec[i] & 1) * page;
    done += n;
  }
  return in;
}

constexpr int kStackFrames = 64;

// libgreen.so's own base address: its frames below the interposer the
// program called are the runtime's, not the program's.
uintptr_t own_base() {
  Dl_info info{};
  dladdr(reinterpret_cast<void*>(&own_base), &info);
  return reinterpret_cast<uintptr_t>(info.dli_fbase);
}

// "stack":[{"pc","module","base","symbol","offset"}...], innermost first,
// from the interposer the program called (the outermost of libgreen's inner
// frames). Symbols are the dynamic ones dladdr knows; tools/green-stats
// asks addr2line for the rest.
void add_stack(JsonOut& j, Hub* h, Green* g) {
  uintptr_t pcs[kStackFrames];
  int n = capture_stack(h, g, pcs, kStackFrames);
  Dl_info info[kStackFrames];
  uintptr_t self = own_base();
  for (int i = 0; i < n; i++)
    if (!dladdr(reinterpret_cast<void*>(pcs[i]), &info[i])) info[i] = Dl_info{};
  auto ours = [&](int i) { return reinterpret_cast<uintptr_t>(info[i].dli_fbase) == self; };
  int first = 0;  // the last of the leading run of libgreen's frames
  if (n && ours(0))
    while (first + 1 < n && ours(first + 1)) first++;
  j.raw(",").key("stack").raw("[");
  char hex[24];
  for (int i = first; i < n; i++) {
    if (i > first) j.raw(",");
    snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(pcs[i]));
    j.raw("{").field("pc", hex, true);
    j.field("module", info[i].dli_fname ? info[i].dli_fname : "?");
    snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(info[i].dli_fbase)));
    j.field("base", hex);
    if (info[i].dli_sname) {
      j.field("symbol", info[i].dli_sname);
      j.field("offset", static_cast<int64_t>(pcs[i] - reinterpret_cast<uintptr_t>(info[i].dli_saddr)));
    }
    j.raw("}");
  }
  j.raw("]");
}

void add_thread(JsonOut& j, Hub* h, Green* g, bool first, bool stack) {
  if (!first) j.raw(",");
  j.raw("{").field("id", static_cast<int64_t>(g->id), true).field("name", g->name);
  j.field("state", state_text(g->state));
  if (g->state == GreenState::kParked) {
    j.field("wait", wait_reason_text(g->why));
    j.field("wait_ms", static_cast<int64_t>(uv_now(h->loop) - g->parked_ms));
    if (g->wait_fd >= 0) {
      j.field("fd", g->wait_fd).field("fds", g->wait_nfds);
      j.field("fd_kind", fd_kind(g->wait_fd));
    }
  }
  if (stack) add_stack(j, h, g);
  j.raw("}");
}

}  // namespace

void hub_serve_report(Hub* h) {
  if (!h->report_req.load(std::memory_order_relaxed)) return;
  HubReport* r = h->report_req.exchange(nullptr, std::memory_order_acquire);
  if (!r) return;
  JsonOut j(&r->json);
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  size_t committed = 0;
  for (Green* g = h->all; g; g = g->all_next) committed += stack_committed(g);
  j.field("green", static_cast<int64_t>(h->n_green)).field("runnable", static_cast<int64_t>(h->runq_len));
  j.field("parked", static_cast<int64_t>(h->n_parked));
  j.field("offloads", static_cast<int64_t>(h->n_offloads));
  j.field("cpu_ms", static_cast<int64_t>(cpu.tv_sec) * 1000 + cpu.tv_nsec / 1000000);
  j.field("stack_committed_kib", static_cast<int64_t>(committed / 1024));
  j.field("stacks_pooled", static_cast<int64_t>(h->stacks.cached()));
  if (r->detail != Detail::kCounts) {
    j.raw(",").key("threads").raw("[");
    bool first = true;
    bool stacks = r->detail == Detail::kStacks;
    for (Green* g = h->all; g; g = g->all_next, first = false) add_thread(j, h, g, first, stacks);
    j.raw("]");
  }
  r->done.store(1, std::memory_order_release);
}

}  // namespace green

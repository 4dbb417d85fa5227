// handoff.cc: the probe: the monitor's signal to a stuck M, and the
// handler's decision to detach the green thread it interrupted from its hub
// (machine.h has the whole hand-off).
//
// Why a signal: the hub's state may be taken from a green thread only while
// it runs no libgreen code (which may be halfway through the run queue, a
// timer or the poller). The handler runs on that thread, between two of its
// instructions, so what it sees cannot change under it: it unwinds the
// interrupted stack and detaches the green thread only if no frame but its
// entry (green_life.cc's, at the bottom of every spawned stack) lies in
// libgreen's code, or, inside a call libgreen makes on the program's
// behalf and marked as one that may block (ReleasableCall), the
// interrupted instruction itself is outside it. Nothing is paid on the
// fast path: no flag is set or cleared around interposers. A stack the
// unwinder cannot walk to its end is not detached (the hub waits, as
// before). Rejected: a flag around every interposer and membarrier (the
// flag costs every call, and 115 interposers would need an exit hook).
//
// Cost of the signal: one per stall (then the monitor backs off). A raw
// system call the program made is interrupted once by it: restarted
// (SA_RESTART) where the kernel restarts calls, EINTR where it never does
// (README, limitations).
//
// Threading: probe_init() at start-up; the handler on any M; probe_send()
// on the monitor's thread.
#include "sched/machine.h"

#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <unwind.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "glibc/real.h"
#include "os/check.h"
#include "os/sys.h"
#include "sched/hub.h"
#include "sched/passthrough.h"
#include "tls/thread_pointer.h"

namespace green {

thread_local int t_releasable __attribute__((tls_model("initial-exec"))) = 0;

namespace {

uintptr_t g_text_lo = 0, g_text_hi = 0;  // libgreen's code, set once
ProbeForward g_forward = nullptr;
std::atomic<bool> g_active{false};
// probes_pause(): execs in progress, and probe_send()s between their check
// of it and their tgkill (seq_cst: each side's write is seen by the other).
std::atomic<int> g_paused{0};
std::atomic<int> g_sending{0};

bool in_libgreen(uintptr_t pc) { return pc >= g_text_lo && pc < g_text_hi; }

int find_text(dl_phdr_info* info, size_t, void* arg) {
  auto self = reinterpret_cast<uintptr_t>(arg);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& p = info->dlpi_phdr[i];
    if (p.p_type != PT_LOAD || !(p.p_flags & PF_X)) continue;
    uintptr_t lo = info->dlpi_addr + p.p_vaddr, hi = lo + p.p_memsz;
    if (self >= lo && self < hi) {
      g_text_lo = lo;
      g_text_hi = hi;
      return 1;
    }
  }
  return 0;
}

struct Walk {
  bool past_handler = false;   // reached the interrupted frame
  bool interrupted_in_libgreen = false;
  bool libgreen = false;       // a libgreen frame below it (not the entry)
  bool at_entry = false;
  int frames = 0;
};

_Unwind_Reason_Code visit(_Unwind_Context* c, void* arg) {
  auto w = static_cast<Walk*>(arg);
  int exact = 0;  // 1 for the interrupted frame: its pc is not a return address
  uintptr_t pc = _Unwind_GetIPInfo(c, &exact);
  if (!w->past_handler) {
    if (!exact) return _URC_NO_REASON;  // the handler's own frames
    w->past_handler = true;
    w->interrupted_in_libgreen = in_libgreen(pc);
  } else if (pc) {
    pc--;  // a return address: the call is just before it
  }
  if (_Unwind_GetRegionStart(c) == green_entry_start()) {  // the frame's function (its FDE)
    w->at_entry = true;
    return _URC_NORMAL_STOP;
  }
  if (in_libgreen(pc)) w->libgreen = true;
  if (++w->frames > 4096) return _URC_NORMAL_STOP;
  return _URC_NO_REASON;
}

// Whether the interrupted code may lose its hub (see the top of the file).
bool may_detach() {
  Walk w;
  _Unwind_Reason_Code rc = _Unwind_Backtrace(visit, &w);
  if (!w.past_handler || w.interrupted_in_libgreen) return false;
  if (!w.at_entry && rc != _URC_END_OF_STACK) return false;  // could not see it all
  return !w.libgreen || t_releasable > 0;
}

void try_detach(Hub* h) {
  Green* g = h->probe_green.load(std::memory_order_acquire);
  if (t_lost.m || !g || h->hold.load(std::memory_order_acquire) != kHeld) return;
  if (h->running != g || h->resumes.load(std::memory_order_relaxed) != h->probe_resumes.load()) return;
  Machine* m = h->m.load(std::memory_order_relaxed);
  if (!m || m->tid != sys::gettid() || tp_get() != g->tp) return;  // not g's code on h's M
  if (t_passthrough != 0 && t_releasable == 0) return;  // runtime code
  if (!may_detach()) return;
  t_lost = Lost{m, g};
  h->running = nullptr;
  h->on_cpu.store(nullptr, std::memory_order_relaxed);
  h->lost.store(g, std::memory_order_relaxed);
  h->lost_m.store(m, std::memory_order_relaxed);
  h->handoffs.fetch_add(1, std::memory_order_relaxed);
  h->hold.store(kTaken, std::memory_order_release);
}

void print_backtrace() {
  void* frames[48];
  int n = backtrace(frames, 48);
  backtrace_symbols_fd(frames, n, 2);
}

// A probe is sent with rt_tgsigqueueinfo and this address as its value, so
// the handler tells it from a SIGRTMAX of the program's own (raise, kill,
// sigqueue, another process), which goes to the program's disposition.
char g_probe_tag;

bool is_probe(const siginfo_t* info) {
  return info && info->si_code == SI_QUEUE && info->si_pid == static_cast<pid_t>(sys::call(SYS_getpid)) &&
         info->si_value.sival_ptr == &g_probe_tag;
}

void on_probe(int sig, siginfo_t* info, void* uc) {
  int saved_errno = errno;
  if (!is_probe(info)) {
    if (g_forward) g_forward(sig, info, uc);
    errno = saved_errno;
    return;
  }
  Hub* h = block_hub();
  // 0 when an earlier probe's run took this one's request too.
  uint32_t what = h ? h->probe.exchange(0, std::memory_order_acq_rel) : 0;
  if (what & kProbeHandOff) try_detach(h);
  if (what & kProbeBacktrace) print_backtrace();
  errno = saved_errno;
}

}  // namespace

int probe_signal() { return SIGRTMAX; }

void releasable_end() {
  t_releasable--;
  if (t_lost.m) hub_take_back();
}

void set_probe_forward(ProbeForward forward) { g_forward = forward; }

int probe_init() {
  PassThrough pt;
  dl_iterate_phdr(find_text, reinterpret_cast<void*>(&probe_init));
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc's unwinder now: the first call is not signal-safe
  struct sigaction sa{};
  sa.sa_sigaction = on_probe;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  if (REAL(sigaction)(probe_signal(), &sa, nullptr) != 0) return -errno;
  g_active.store(true);
  return 0;
}

bool probe_active() { return g_active.load(std::memory_order_relaxed); }

void probe_send(Hub* h, Machine* m, Green* g, uint64_t resumes, uint32_t what) {
  if (!m) m = h->m.load(std::memory_order_acquire);
  if (!m) return;
  g_sending.fetch_add(1);
  if (g_paused.load() == 0) {
    h->probe_green.store(g, std::memory_order_relaxed);
    h->probe_resumes.store(resumes, std::memory_order_relaxed);
    h->probe.fetch_or(what, std::memory_order_release);
    siginfo_t info{};
    info.si_signo = probe_signal();
    info.si_code = SI_QUEUE;
    info.si_pid = static_cast<pid_t>(sys::call(SYS_getpid));
    info.si_uid = static_cast<uid_t>(sys::call(SYS_getuid));
    info.si_value.sival_ptr = &g_probe_tag;
    sys::call(SYS_rt_tgsigqueueinfo, info.si_pid, m->tid, probe_signal(), &info);
  }
  g_sending.fetch_sub(1);
}

// A signal pending at execve survives it, and the new program would take
// it with SIG_DFL, which ends it (seen: CPython killed by signal 64): no
// probe may be sent from here on, and one already sent to this thread is
// taken now.
void probes_pause() {
  g_paused.fetch_add(1);
  while (g_sending.load() != 0) sys::call(SYS_sched_yield);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, probe_signal());
  const timespec zero{0, 0};
  while (sys::call(SYS_rt_sigtimedwait, &s, nullptr, &zero, 8) > 0) {
  }
}

void probes_resume() { g_paused.fetch_sub(1); }

// The monitor is not in the child: a send it had begun when the parent
// forked never ends there, and an exec in the child waited for it for ever
// (probes_pause; seen in CPython's test_eintr). No exec is under way in the
// child either: only the forking thread is left.
void probes_after_fork() {
  g_sending.store(0);
  g_paused.store(0);
}

}  // namespace green

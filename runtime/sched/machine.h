// machine.h: Go's M, an OS thread that runs a hub (a P), and the hand-off
// that gives a stuck M's hub to another M (machine.cc, handoff.cc).
//
// A hub's scheduler state (run queue, timers, poller, inbox) is touched by
// one OS thread at a time: the M that holds it (Hub::m). Normally that is the
// hub's first OS thread for ever. When a green thread runs for
// GREEN_HANDOFF_MS without entering libgreen (a CPU-bound loop, a call
// libgreen cannot see), the monitor asks that M, by a signal, whether the
// green thread is outside libgreen (handoff.cc); if so the handler detaches
// it from its hub (kTaken) and the monitor gives the hub to a spare M, which
// runs the hub's loop on from where it stopped. The stuck green thread keeps
// its M; when it next enters libgreen (this_hub(), current(), intercepting()
// see t_lost) it takes its hub back: at once if no spare took it yet, else
// by asking the hub's M to hand it back at the top of the hub loop, which
// then turns spare itself.
//
// A green thread's descriptor names its M (the thread id; the malloc cache
// it shares with its M, tls/tcb.cc): make_running() rebinds it when the M
// running its hub is another one than last time (tcb_rebind).
//
// Threading: a Machine is written by its own OS thread, except `job` and
// `wake` (the monitor gives a spare its job) and the spare list (any thread,
// under its lock). Hub::m, Hub::tp and Hub::os_thread are written by the M
// taking the hub, while nobody else holds it (Hub::hold).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "sched/context.h"
#include "sched/green_thread.h"
#include "sched/stack.h"

namespace green {

struct Hub;
struct HandBack;

struct Machine {
  unsigned long os_thread = 0;  // its pthread_t
  pid_t tid = 0;
  // The block hub code runs on when no green thread's is current (Hub::tp):
  // its own descriptor, or, once it has been a spare, a private block (the
  // own one may be an adopted green thread's, which another M may run).
  char* tp = nullptr;
  void* tcache = nullptr;       // its malloc cache and arena (tls/tcb.cc)
  void* arena = nullptr;
  // A spare's own context while it runs a hub, on its native stack or on
  // idle_stack (made the first time an M releases a hub).
  Context idle;
  bool idle_made = false;
  Stack idle_stack;
  Green idle_block;             // holds the private block's tp (tcb_new)
  HandBack* grant = nullptr;    // the request it released its hub for
  Hub* job = nullptr;           // the hub the monitor gave it
  std::atomic<uint32_t> wake{0};
  Machine* next_spare = nullptr;
};

// A lost green thread asking for its hub back (on its own stack).
struct HandBack {
  Machine* m = nullptr;
  std::atomic<uint32_t> granted{0};
  HandBack* next = nullptr;
};

enum HubHold : int {
  kHeld = 0,   // an M holds the hub
  kTaken = 1,  // the hand-off handler detached its stuck green thread; no M yet
};

// The Machine of the calling OS thread when it becomes a hub's first M.
Machine* machine_for_this_thread();

// What a green thread's block remembers when its hub was taken from it
// (handoff.cc sets it in the handler, on the green thread's own block).
struct Lost {
  Machine* m = nullptr;  // the M it keeps running on
  Green* g = nullptr;
};
extern thread_local Lost t_lost __attribute__((tls_model("initial-exec")));

// The stuck green thread entered libgreen: takes its hub back (waits for
// the hub's M to hand it over if a spare took it). Returns with the calling
// green thread running on its hub again.
void hub_take_back();

// At the top of the hub loop, on the hub's M: a lost green thread asked for
// the hub back; switches out of the hub's context, making this M a spare.
void hub_hand_back(Hub* h);

// The monitor gives a taken hub to a spare M (made if none is idle).
void hub_dispatch(Hub* h);

// In a forked child: the calling thread is the only M.
void machines_after_fork(Hub* h);

// The signal layer keeps each hub's real mask (signal/masks.cc, INV-SIG1):
// called on an M's OS thread when it takes hub h, to put h's mask on it.
using HubMaskHook = void (*)(Hub* h);
void set_hub_mask_hook(HubMaskHook hook);
// The hook again, on h's own OS thread, when h->mask_stale was set (by a
// green thread of h's that changed its mask while running on another
// hub): hub.cc's loop calls it.
void hub_mask_refresh(Hub* h);

// ---- the probe (handoff.cc) ----

// libgreen's one signal of its own: the monitor asks an M, with it, to
// detach a stuck green thread (kProbeHandOff) or to print its backtrace
// (kProbeBacktrace). No hub's real mask ever blocks it (signal/masks.cc); a
// program's handler for it still runs when no probe is pending
// (signal/handlers.cc).
int probe_signal();
constexpr uint32_t kProbeHandOff = 1;
constexpr uint32_t kProbeBacktrace = 2;

// Start-up, before the monitor runs: learns where libgreen's code lies and
// installs the probe's handler. 0 or -errno.
int probe_init();
bool probe_active();  // probe_init() succeeded
// The monitor asks the M holding h (or m, when given) to act on g, seen
// running with h->resumes == resumes.
void probe_send(Hub* h, Machine* m, Green* g, uint64_t resumes, uint32_t what);
// Around an exec (process/exec_prep.cc): no probe is sent meanwhile, and
// one pending on the calling thread is taken before the exec. Async-signal-
// safe; nest.
void probes_pause();
void probes_resume();
// In a forked child: no send and no pause is left over from the parent's threads.
void probes_after_fork();
// The program's own handler for probe_signal(), if it installed one
// (signal/handlers.cc sets it; the probe's handler calls it).
using ProbeForward = bool (*)(int sig, siginfo_t* info, void* uc);
void set_probe_forward(ProbeForward forward);

}  // namespace green

#include "sched/stack_guard.h"
#include "glibc/real.h"

#include <signal.h>
#include <sys/mman.h>

#include <atomic>

#include "os/check.h"
#include "config/config.h"
#include "sched/hub.h"
#include "sched/machine.h"

namespace green {

constexpr size_t kAltStackSize = 64 * 1024;

static struct sigaction g_previous;          // written once, under g_installed
static std::atomic<bool> g_installed{false};

static void on_segv(int sig, siginfo_t* si, void* uc) {
  Hub* h = block_hub();
  Green* g = t_lost.g ? t_lost.g : h ? h->running : nullptr;  // machine.h
  if (g && stack_overflowed_at(g->stack, si->si_addr)) {
    report("libgreen: green thread %llu \"%s\" overflowed its stack of %zu KiB (fault at %p).",
           static_cast<unsigned long long>(g->id), g->name, g->stack.usable() / 1024, si->si_addr);
    report("libgreen: raise GREEN_STACK_SIZE (now %zu KiB, e.g. GREEN_STACK_SIZE=%zuK) or the size "
           "the program passes to pthread_attr_setstacksize.",
           config().stack_size / 1024, g->stack.usable() / 1024 * 4);
  }
  REAL(sigaction)(SIGSEGV, &g_previous, nullptr);
  (void)sig;
  (void)uc;
}

static void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  REAL(sigaction)(SIGSEGV, &sa, &g_previous);
}

static void install_alt_stack() {
  stack_t old{};
  if (sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE)) return;
  void* m = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = m;
  ss.ss_size = kAltStackSize;
  sigaltstack(&ss, nullptr);
}

void stack_guard_install_thread() {
  install_alt_stack();
  bool expected = false;
  if (g_installed.compare_exchange_strong(expected, true)) install_handler();
}

}  // namespace green

// ucontext backend for context.h. makecontext passes only int arguments, so
// the 64-bit entry and arg are split into halves and joined in trampoline().
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "os/check.h"
#include "os/sys.h"
#include "sched/context.h"

namespace green {

static void trampoline(unsigned entry_hi, unsigned entry_lo, unsigned arg_hi, unsigned arg_lo) {
  auto entry = reinterpret_cast<ContextEntry>((uint64_t(entry_hi) << 32) | entry_lo);
  auto arg = reinterpret_cast<void*>((uint64_t(arg_hi) << 32) | arg_lo);
  entry(arg);
  fatal("libgreen: internal error: a context entry returned");
}

void context_make(Context* ctx, void* stack_lo, size_t size, ContextEntry entry, void* arg) {
  GREEN_CHECK(getcontext(&ctx->uc) == 0, "getcontext");
  ctx->uc.uc_stack.ss_sp = stack_lo;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = nullptr;
  auto e = reinterpret_cast<uint64_t>(entry);
  auto a = reinterpret_cast<uint64_t>(arg);
  makecontext(&ctx->uc, reinterpret_cast<void (*)()>(trampoline), 4, unsigned(e >> 32),
              unsigned(e), unsigned(a >> 32), unsigned(a));
}

// swapcontext installs the signal mask `to` had when it last switched out.
// The mask is the hub's, not a context's (signal/masks.cc, INV-SIG1: the
// shim emulates per-green masks and keeps the real one for the OS thread),
// so `to` gets the current mask first, read with the raw system call that
// no interposer answers. One more system call per switch: this backend is
// the portable reference, not the fast one.
void context_switch(Context* from, Context* to) {
  sys::call(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &to->uc.uc_sigmask, _NSIG / 8);
  swapcontext(&from->uc, &to->uc);
}

const char* context_backend() { return "ucontext"; }

}  // namespace green

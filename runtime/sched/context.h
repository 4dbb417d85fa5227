// context.h: the one context-switch interface.
//
// A Context holds the registers of a suspended execution. Backends:
//   context_ucontext.cc  glibc makecontext/swapcontext (portable reference;
//                        costs a sigprocmask system call per switch)
//   context_asm_<cpu>.cc callee-saved registers only (x86_64, aarch64)
// The backend is picked at build time (meson option `switch`). Nothing else in
// libgreen calls swapcontext or touches registers.
//
// Threading: a Context is used only by the OS thread that runs it.
#pragma once

#include <cstddef>

#if defined(GREEN_SWITCH_ASM)
namespace green {
struct Context {
  void* sp = nullptr;  // saved stack pointer; the registers sit on that stack
};
}  // namespace green
#else
#include <ucontext.h>
namespace green {
struct Context {
  ucontext_t uc;
};
}  // namespace green
#endif

namespace green {

using ContextEntry = void (*)(void* arg);

// Prepares ctx to run entry(arg) on [stack_lo, stack_lo + size) the first
// time it is switched to. entry must never return.
void context_make(Context* ctx, void* stack_lo, size_t size, ContextEntry entry, void* arg);

// Saves the running registers into from and resumes to. Returns when
// something switches back to from.
void context_switch(Context* from, Context* to);

// Name of the compiled-in backend, for benchmarks and diagnostics.
const char* context_backend();

}  // namespace green

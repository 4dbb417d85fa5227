// Callee-saved-registers backend for context.h (x86-64 System V).
// runtime/meson.build compiles it when host_machine.cpu_family() is x86_64;
// context_asm_aarch64.cc is the same for AAPCS64.
//
// A switch pushes rbp, rbx, r12-r15 and the SSE/x87 control words on the
// running stack, stores rsp in *from, loads to's rsp and pops the same set.
// Unlike swapcontext it makes no sigprocmask system call: the per-green
// signal mask is emulated by the shim, not kept in the context.
//
// A new context's stack is laid out so that the first switch "returns" into
// green_ctx_start with r12 = entry and r13 = arg:
//   [sp]    mxcsr | x87 cw
//   [sp+8]  r15 r14 r13=arg r12=entry rbx rbp
//   [sp+56] green_ctx_start       (at an address = 8 mod 16, so that the
//                                  call below leaves the ABI's alignment)
#include <cstdint>

#include "os/check.h"
#include "sched/context.h"

#if !defined(__x86_64__)
#error "context_asm_x86_64.cc: x86-64 only; runtime/meson.build picks the file by CPU"
#endif

extern "C" void green_ctx_switch(void** from_sp, void* to_sp);
extern "C" void green_ctx_start();

asm(R"(
  .text
  .globl green_ctx_switch
  .hidden green_ctx_switch
  .type green_ctx_switch,@function
green_ctx_switch:
  .cfi_startproc
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size green_ctx_switch,.-green_ctx_switch

  .globl green_ctx_start
  .hidden green_ctx_start
  .type green_ctx_start,@function
green_ctx_start:
  .cfi_startproc
  .cfi_undefined rip
  movq %r13, %rdi
  callq *%r12
  ud2
  .cfi_endproc
  .size green_ctx_start,.-green_ctx_start
)");

namespace green {

void context_make(Context* ctx, void* stack_lo, size_t size, ContextEntry entry, void* arg) {
  auto top = (reinterpret_cast<uintptr_t>(stack_lo) + size) & ~uintptr_t(15);
  auto slot = reinterpret_cast<uint64_t*>(top - 8);  // = 8 mod 16
  slot[0] = reinterpret_cast<uint64_t>(green_ctx_start);
  uint64_t* sp = slot - 7;
  sp[0] = 0x1F80 | (uint64_t(0x037F) << 32);  // default mxcsr, x87 control word
  sp[1] = 0;                                   // r15
  sp[2] = 0;                                   // r14
  sp[3] = reinterpret_cast<uint64_t>(arg);     // r13
  sp[4] = reinterpret_cast<uint64_t>(entry);   // r12
  sp[5] = 0;                                   // rbx
  sp[6] = 0;                                   // rbp
  ctx->sp = sp;
}

void context_switch(Context* from, Context* to) { green_ctx_switch(&from->sp, to->sp); }

const char* context_backend() { return "asm"; }

}  // namespace green

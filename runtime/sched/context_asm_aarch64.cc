// Callee-saved-registers backend for context.h (AAPCS64, Linux).
// runtime/meson.build compiles it when host_machine.cpu_family() is aarch64;
// context_asm_x86_64.cc is the same for x86-64.
//
// A switch stores the AAPCS64 callee-saved set on the running stack: x19-x28,
// x29 (fp), x30 (lr), d8-d15 (the low halves of v8-v15; the upper halves are
// caller-saved) and FPCR. It stores sp in *from, loads to's sp, reloads the
// same set and returns through the restored x30. Unlike swapcontext it makes
// no sigprocmask system call: the per-green signal mask is emulated by the
// shim, not kept in the context.
//
// FPSR (the cumulative exception flags) is not saved: AAPCS64 does not make
// it callee-saved, and fenv.h leaves the flags a call raised visible to the
// caller. FPCR (rounding mode, flush-to-zero, trap enables) is: AAPCS64
// treats it as callee-saved except where a function is documented to change
// it (fesetround, fesetenv), so each green keeps its own.
//
// Saved frame, 176 bytes at sp (sp stays 16-byte aligned, as AAPCS64 requires
// for every access through sp):
//   [sp]      x19 x20 x21 x22 x23 x24 x25 x26 x27 x28
//   [sp+80]   x29 x30
//   [sp+96]   d8 d9 d10 d11 d12 d13 d14 d15
//   [sp+160]  fpcr | 8 bytes padding
// A new context's frame (context_make) has x19 = entry, x20 = arg, x29 = 0,
// x30 = green_ctx_start and fpcr = 0 (the Linux initial value: round to
// nearest, no traps); the first switch "returns" into green_ctx_start with sp
// at the 16-aligned top of the stack.
#include <cstdint>

#include "sched/context.h"

#if !defined(__aarch64__)
#error "context_asm_aarch64.cc: aarch64 only; runtime/meson.build picks the file by CPU"
#endif

extern "C" void green_ctx_switch(void** from_sp, void* to_sp);
extern "C" void green_ctx_start();

// The CFI describes the frame whichever stack sp is on: after `mov sp, x1`
// it describes to's saved frame, which has the same layout. FPCR is written
// only when it differs, since msr fpcr can be slow on some cores.
asm(R"(
  .text
  .globl green_ctx_switch
  .hidden green_ctx_switch
  .type green_ctx_switch,%function
  .p2align 2
green_ctx_switch:
  .cfi_startproc
  sub sp, sp, #176
  .cfi_def_cfa_offset 176
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  .cfi_offset x29, -96
  .cfi_offset x30, -88
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mrs x9, fpcr
  str x9, [sp, #160]
  mov x10, sp
  str x10, [x0]
  mov sp, x1
  ldr x10, [sp, #160]
  cmp x9, x10
  b.eq 1f
  msr fpcr, x10
1:
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  ldp x29, x30, [sp, #80]
  add sp, sp, #176
  .cfi_def_cfa_offset 0
  .cfi_restore x29
  .cfi_restore x30
  ret
  .cfi_endproc
  .size green_ctx_switch,.-green_ctx_switch

  .globl green_ctx_start
  .hidden green_ctx_start
  .type green_ctx_start,%function
  .p2align 2
green_ctx_start:
  .cfi_startproc
  .cfi_undefined x30
  mov x0, x20
  blr x19
  brk #0          // entry returned: it must not
  .cfi_endproc
  .size green_ctx_start,.-green_ctx_start
)");

namespace green {

namespace {
constexpr int kFrameWords = 22;  // 176 bytes, the layout above
}

void context_make(Context* ctx, void* stack_lo, size_t size, ContextEntry entry, void* arg) {
  auto top = (reinterpret_cast<uintptr_t>(stack_lo) + size) & ~uintptr_t(15);
  auto frame = reinterpret_cast<uint64_t*>(top) - kFrameWords;
  for (int i = 0; i < kFrameWords; i++) frame[i] = 0;       // x21-x28, d8-d15, fpcr = 0
  frame[0] = reinterpret_cast<uint64_t>(entry);             // x19
  frame[1] = reinterpret_cast<uint64_t>(arg);               // x20
  frame[10] = 0;                                            // x29: ends frame-pointer chains
  frame[11] = reinterpret_cast<uint64_t>(green_ctx_start);  // x30
  ctx->sp = frame;
}

void context_switch(Context* from, Context* to) { green_ctx_switch(&from->sp, to->sp); }

const char* context_backend() { return "asm"; }

}  // namespace green

// syscall_arch.h (aarch64): the system call instruction (musl's
// arch/aarch64/syscall_arch.h does the same); any thread, signal handlers
// included. runtime/meson.build puts this
// folder on the include path for aarch64 builds; os/sys.h is the only user.
#pragma once

#if !defined(__aarch64__)
#error "os/arch/aarch64: aarch64 only; runtime/meson.build picks the folder by CPU"
#endif

namespace green::sys {

// The kernel's answer: >= 0, or -errno in [-4095, -1]. Never touches errno.
inline long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a1;
  register long x1 __asm__("x1") = a2;
  register long x2 __asm__("x2") = a3;
  register long x3 __asm__("x3") = a4;
  register long x4 __asm__("x4") = a5;
  register long x5 __asm__("x5") = a6;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory", "cc");
  return x0;
}

}  // namespace green::sys

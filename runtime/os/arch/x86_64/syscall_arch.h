// syscall_arch.h (x86-64): the system call instruction (musl's
// arch/x86_64/syscall_arch.h does the same); any thread, signal handlers
// included. runtime/meson.build puts this
// folder on the include path for x86-64 builds; os/sys.h is the only user.
#pragma once

#if !defined(__x86_64__)
#error "os/arch/x86_64: x86-64 only; runtime/meson.build picks the folder by CPU"
#endif

namespace green::sys {

// The kernel's answer: >= 0, or -errno in [-4095, -1]. Never touches errno.
inline long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

}  // namespace green::sys

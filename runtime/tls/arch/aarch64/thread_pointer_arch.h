// thread_pointer_arch.h (aarch64): tp_get() and tp_set() of thread_pointer.h,
// the tpidr_el0 register, which user code reads and writes directly.
// Included by tls/thread_pointer.h only; runtime/meson.build puts
// tls/arch/<cpu_family>/ on the include path.
#pragma once

#if !defined(__aarch64__)
#error "tls/arch/aarch64/thread_pointer_arch.h: built for another CPU"
#endif

namespace green {

inline char* tp_get() {
  char* tp;
  asm volatile("mrs %0, tpidr_el0" : "=r"(tp));
  return tp;
}

inline void tp_set(char* tp) { asm volatile("msr tpidr_el0, %0" : : "r"(tp) : "memory"); }

}  // namespace green

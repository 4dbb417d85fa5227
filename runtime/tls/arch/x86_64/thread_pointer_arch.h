// thread_pointer_arch.h (x86-64): tp_get() and tp_set() of thread_pointer.h,
// the %fs base. Included by tls/thread_pointer.h only; runtime/meson.build
// puts tls/arch/<cpu_family>/ on the include path. tp_init() and the system
// call are in thread_pointer.cc beside this file.
#pragma once

#if !defined(__x86_64__)
#error "tls/arch/x86_64/thread_pointer_arch.h: built for another CPU"
#endif

namespace green {

inline char* tp_get() {
  char* tp;
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

extern bool g_tp_wrfsbase;     // written once by tp_init()
void tp_set_syscall(char* tp);

// The wrfsbase instruction when the kernel enables it (Linux 5.9+,
// HWCAP2_FSGSBASE), else the arch_prctl system call.
inline void tp_set(char* tp) {
  if (g_tp_wrfsbase) asm volatile("wrfsbase %0" : : "r"(tp) : "memory");
  else tp_set_syscall(tp);
}

}  // namespace green

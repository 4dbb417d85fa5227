// thread_pointer.h: the CPU's thread pointer, which names the running
// thread's control block and TLS to libc and to compiled code (%fs base on
// x86-64, tpidr_el0 on aarch64). Every green thread has its own (tcb.h);
// only the hub's switch code (hub.cc) moves it.
//
// Compilers assume the thread pointer is constant within a function and may
// compute a TLS address once: a function that sets it must not touch TLS
// afterwards, expecting the new thread's copy.
#pragma once

namespace green {

inline char* tp_get() {
  char* tp;
#if defined(__x86_64__)
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
#elif defined(__aarch64__)
  asm volatile("mrs %0, tpidr_el0" : "=r"(tp));
#else
#error "thread_pointer.h: unsupported CPU"
#endif
  return tp;
}

// Picks the cheapest way to set it this machine allows. Called once, at
// start-up, before any tp_set().
void tp_init();

extern bool g_tp_wrfsbase;     // written once by tp_init()
void tp_set_syscall(char* tp);

// x86-64: the wrfsbase instruction when the kernel enables it (Linux 5.9+,
// HWCAP2_FSGSBASE), else the arch_prctl system call.
inline void tp_set(char* tp) {
#if defined(__x86_64__)
  if (g_tp_wrfsbase) asm volatile("wrfsbase %0" : : "r"(tp) : "memory");
  else tp_set_syscall(tp);
#elif defined(__aarch64__)
  asm volatile("msr tpidr_el0, %0" : : "r"(tp) : "memory");
#endif
}

}  // namespace green

// thread_pointer.h: the CPU's thread pointer, which names the running
// thread's control block and TLS to libc and to compiled code (%fs base on
// x86-64, tpidr_el0 on aarch64). Every green thread has its own (tcb.h);
// only the hub's switch code (hub.cc) moves it.
//
// Compilers assume the thread pointer is constant within a function and may
// compute a TLS address once: a function that sets it must not touch TLS
// afterwards, expecting the new thread's copy.
//
// Per CPU: tls/arch/<cpu>/thread_pointer_arch.h defines tp_get() and
// tp_set(), tls/arch/<cpu>/thread_pointer.cc tp_init().
#pragma once

namespace green {

// The running thread's thread pointer.
inline char* tp_get();

// Sets it, the cheapest way this machine allows (x86-64: the wrfsbase
// instruction when the kernel enables it, else a system call).
inline void tp_set(char* tp);

// Picks the cheapest way to set it this machine allows. Called once, at
// start-up, before any tp_set().
void tp_init();

}  // namespace green

#include "thread_pointer_arch.h"

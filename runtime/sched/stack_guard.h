// stack_guard.h: names the green thread whose stack overflowed.
//
// A SIGSEGV handler on an alternate signal stack (the overflowed stack has no
// room left) checks whether the fault hit the running green thread's guard
// page. If so it prints which thread overflowed, its stack size and how to
// raise it; either way it restores the previous disposition and returns, so
// the fault repeats and the process dies by SIGSEGV as natively (or the
// program's own handler runs).
//
// Threading: stack_guard_install_thread() runs once on each hub's OS thread.
#pragma once

namespace green {

void stack_guard_install_thread();

}  // namespace green

// thread_pointer.cc (aarch64): how tp_set() moves the thread pointer on this
// machine (thread_pointer.h, thread_pointer_arch.h). runtime/meson.build
// compiles the one of host_machine.cpu_family().
#include "tls/thread_pointer.h"

namespace green {

// msr tpidr_el0 is the only way, and always allowed: nothing to pick.
void tp_init() {}

}  // namespace green

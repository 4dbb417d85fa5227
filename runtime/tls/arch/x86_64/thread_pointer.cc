// thread_pointer.cc (x86-64): how tp_set() moves the thread pointer on this
// machine (thread_pointer.h, thread_pointer_arch.h). runtime/meson.build
// compiles the one of host_machine.cpu_family().
#include "tls/thread_pointer.h"

#include "os/sys.h"

#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace green {

bool g_tp_wrfsbase = false;

void tp_set_syscall(char* tp) { sys::call(SYS_arch_prctl, ARCH_SET_FS, tp); }

void tp_init() {
  constexpr unsigned long kHwcap2FsGsBase = 1ul << 1;  // HWCAP2_FSGSBASE
  g_tp_wrfsbase = (getauxval(AT_HWCAP2) & kHwcap2FsGsBase) != 0;
}

}  // namespace green

// thread_pointer.cc: how tp_set() moves the thread pointer on this machine
// (thread_pointer.h).
#include "tls/thread_pointer.h"

#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <asm/prctl.h>
#endif

namespace green {

bool g_tp_wrfsbase = false;

void tp_set_syscall(char* tp) {
#if defined(__x86_64__)
  syscall(SYS_arch_prctl, ARCH_SET_FS, tp);
#else
  (void)tp;
#endif
}

void tp_init() {
#if defined(__x86_64__)
  constexpr unsigned long kHwcap2FsGsBase = 1ul << 1;  // HWCAP2_FSGSBASE
  g_tp_wrfsbase = (getauxval(AT_HWCAP2) & kHwcap2FsGsBase) != 0;
#endif
}

}  // namespace green

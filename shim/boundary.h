// boundary.h: the C ABI boundary between the program and the runtime.
//
// Every interposer is `GREEN_EXPORT`, noexcept in effect (C linkage, no
// throw), and starts with the pass-through test:
//
//   if (!green::intercepting()) return REAL(read)(fd, buf, n);
//
// Inside, the runtime's convention (values >= 0, or -errno) is turned into
// libc's (-1 and errno) in exactly one place, syscall_ret(). On success errno
// is left as the program had it.
#pragma once

#include <cerrno>

#include "sched/passthrough.h"
#include "glibc/real.h"

#define GREEN_EXPORT extern "C" __attribute__((visibility("default")))

namespace shim {

template <class T>
inline T syscall_ret(T r) {
  if (r < 0) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// -errno of a libc call that failed, or its result.
template <class T>
inline T neg_errno(T r) {
  return r < 0 ? -errno : r;
}

}  // namespace shim

// real.h: the libc functions libgreen interposes, as libc defines them.
//
// Threading: any thread, signal handlers included; each pointer is written
// once (racing first uses resolve the same value) and then only read.
//
// real::name points at the next definition of name after libgreen.so (RTLD_NEXT),
// resolved on first use: interposers can run before libgreen's constructor
// (another library's constructor calling read), so nothing may assume an
// init order. Only real.cc calls dlsym.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace real {

#define GREEN_SYM(name, ret, params)                   \
  using name##_fn = ret(*) params;                     \
  extern name##_fn name##_ptr;                         \
  name##_fn resolve_##name();                          \
  inline name##_fn name##_get() {                      \
    name##_fn f = __atomic_load_n(&name##_ptr, __ATOMIC_RELAXED); \
    return __builtin_expect(f != nullptr, 1) ? f : resolve_##name(); \
  }
#include "shim/interpose.def"

// The C library's definition of name, or nullptr when this glibc has none
// (e.g. _Fork before 2.34, __libc_single_threaded before 2.32).
void* optional_sym(const char* name);

// Resolves every pointer now (called by the constructor).
void resolve_all();

}  // namespace real

// REAL(read)(fd, buf, n) calls libc's read.
#define REAL(name) (::real::name##_get())

namespace green {

// The runtime's convention for a libc call that returned r: r, or -errno
// when it failed.
template <class T>
inline T neg_errno(T r) {
  return r < 0 ? static_cast<T>(-errno) : r;
}

}  // namespace green

// sys.h: the system calls the runtime makes, straight to the kernel.
//
// libgreen.so interposes read, close, fcntl, nanosleep, syscall() and the
// rest for the whole process, so a runtime call through those symbols would
// come back up through the shim (DESIGN: data flows top to bottom, never
// back up). The runtime makes its kernel calls here instead, as musl's
// internal code does with __syscall; glibc functions that are not system
// calls (pthread_create, sigaction's restorer set-up) it calls through
// glibc/real.h. tests/layout checks that no runtime object refers to an
// interposed symbol.
//
// Every function returns the kernel's answer: >= 0, or -errno. None touches
// errno. Any thread, signal handlers included.
#pragma once

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <time.h>

#include "syscall_arch.h"  // os/arch/<cpu>/, picked by runtime/meson.build

namespace green::sys {

template <class... A>
inline long call(long nr, A... a) {
  long v[6] = {(long)a...};
  return raw_syscall6(nr, v[0], v[1], v[2], v[3], v[4], v[5]);
}

inline long read(int fd, void* buf, size_t n) { return call(SYS_read, fd, buf, n); }
inline long write(int fd, const void* buf, size_t n) { return call(SYS_write, fd, buf, n); }
inline int close(int fd) { return static_cast<int>(call(SYS_close, fd)); }
inline int openat(int dirfd, const char* path, int flags, int mode = 0) {
  return static_cast<int>(call(SYS_openat, dirfd, path, flags, mode));
}
inline int fcntl(int fd, int cmd, long arg = 0) { return static_cast<int>(call(SYS_fcntl, fd, cmd, arg)); }
inline int dup3(int oldfd, int newfd, int flags) { return static_cast<int>(call(SYS_dup3, oldfd, newfd, flags)); }
// epoll_wait without a signal mask (aarch64 has no epoll_wait system call).
inline int epoll_wait(int epfd, epoll_event* ev, int max, int timeout_ms) {
  return static_cast<int>(call(SYS_epoll_pwait, epfd, ev, max, timeout_ms, nullptr, 0));
}
inline int nanosleep(const timespec* req) {
  return static_cast<int>(call(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, req, nullptr));
}
// fstat as the kernel answers it (-errno on failure): libgreen's fstat
// interposer hides libgreen's own fds, the runtime must see them.
inline int fstat(int fd, struct stat* st) { return static_cast<int>(call(SYS_fstat, fd, st)); }
inline pid_t gettid() { return static_cast<pid_t>(call(SYS_gettid)); }
inline long futex(const void* addr, int op, unsigned val, const timespec* ts, const void* addr2, unsigned val3) {
  return call(SYS_futex, addr, op, val, ts, addr2, val3);
}

}  // namespace green::sys

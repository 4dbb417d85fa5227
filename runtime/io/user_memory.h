// user_memory.h: reading and writing the program's pointers without faulting.
// Any thread; g_plain_copy is set once, never cleared.
//
// Natively the kernel reports a bad pointer as EFAULT; an interposer that
// dereferences it itself would crash instead. These copy through the kernel
// (process_vm_readv/writev on our own pid), so a bad pointer is -EFAULT.
//
// Where those calls are refused (ENOSYS under qemu-user, EPERM under a
// seccomp profile that blocks them), a plain copy is the fallback, decided
// at the first refusal: a bad pointer then crashes in libgreen instead of
// failing with EFAULT (README, limitations), but everything else works.
#pragma once

#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace green {

// Set once, never cleared: process_vm_readv/writev are refused here.
inline std::atomic<bool> g_plain_copy{false};

inline bool vm_refused(ssize_t r) {
  if (r >= 0 || (errno != ENOSYS && errno != EPERM)) return false;
  g_plain_copy.store(true, std::memory_order_relaxed);
  return true;
}

// Both leave errno as they found it.
inline int copy_in(void* dst, const void* src, size_t n) {
  if (g_plain_copy.load(std::memory_order_relaxed)) {
    memcpy(dst, src, n);
    return 0;
  }
  int saved = errno;
  iovec local{dst, n};
  iovec remote{const_cast<void*>(src), n};
  ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  bool refused = vm_refused(r);
  errno = saved;
  if (refused) return copy_in(dst, src, n);
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

inline int copy_out(void* dst, const void* src, size_t n) {
  if (g_plain_copy.load(std::memory_order_relaxed)) {
    memcpy(dst, src, n);
    return 0;
  }
  int saved = errno;
  iovec local{const_cast<void*>(src), n};
  iovec remote{dst, n};
  ssize_t r = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
  bool refused = vm_refused(r);
  errno = saved;
  if (refused) return copy_out(dst, src, n);
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

}  // namespace green

// user_memory.h: reading and writing the program's pointers without faulting.
//
// Natively the kernel reports a bad pointer as EFAULT; an interposer that
// dereferences it itself would crash instead. These copy through the kernel
// (process_vm_readv/writev on our own pid), so a bad pointer is -EFAULT.
#pragma once

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace shim {

// Both leave errno as they found it.
inline int copy_in(void* dst, const void* src, size_t n) {
  int saved = errno;
  iovec local{dst, n};
  iovec remote{const_cast<void*>(src), n};
  ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  errno = saved;
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

inline int copy_out(void* dst, const void* src, size_t n) {
  int saved = errno;
  iovec local{const_cast<void*>(src), n};
  iovec remote{dst, n};
  ssize_t r = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
  errno = saved;
  return r == static_cast<ssize_t>(n) ? 0 : -EFAULT;
}

}  // namespace shim

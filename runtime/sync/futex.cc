// futex.cc: the futex layer (see futex.h).
#include "sync/futex.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "io/deadline.h"
#include "sync/parking_lot.h"

namespace green {

long real_futex(const void* addr, int op, uint32_t val, const timespec* ts, const void* addr2,
                uint32_t val3) {
  long r = REAL(syscall)(SYS_futex, addr, op, val, ts, addr2, val3);
  return r < 0 ? -errno : r;
}

namespace {

int private_flag(bool shared) { return shared ? 0 : FUTEX_PRIVATE_FLAG; }

// FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline.
int kernel_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
                bool shared) {
  timespec ts = to_timespec(deadline);
  const timespec* tsp = deadline == green::kForever ? nullptr : &ts;
  int saved = errno;
  long r = real_futex(addr, FUTEX_WAIT_BITSET | private_flag(shared), expected, tsp, nullptr, bits);
  errno = saved;
  return static_cast<int>(r);
}

// The lot key of a word: shared words get bit 0 set (words are 4-aligned),
// so a private wake never finds a shared waiter, as in the kernel.
const void* key_of(const uint32_t* addr, bool shared) {
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(addr) | (shared ? 1 : 0));
}

int lot_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
             bool shared, green::WaitReason why) {
  auto word = reinterpret_cast<const std::atomic<uint32_t>*>(addr);
  int r = lot::park(key_of(addr, shared), bits, 0, deadline, why,
                    [&] { return word->load(std::memory_order_seq_cst) == expected; });
  if (r == 1) return -EAGAIN;
  return r;
}

// Whether another process could wake a futex on addr. The kernel keys a
// shared futex on private anonymous memory by address space, like a private
// one (get_futex_key in kernel/futex/core.c); only those pages stay in the
// lot. /proc/self/pagemap: bit 63 present, 62 swapped, 61 file page or
// shared anonymous. Opened per call: a forked child must read its own.
bool cross_process(const uint32_t* addr) {
  long fd = REAL(syscall)(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  uint64_t e = 0;
  long page = sysconf(_SC_PAGESIZE);
  off_t at = static_cast<off_t>(reinterpret_cast<uintptr_t>(addr) / page * sizeof e);
  long n = REAL(syscall)(SYS_pread64, fd, &e, sizeof e, at);
  REAL(syscall)(SYS_close, fd);
  if (n != sizeof e) return true;
  if (e >> 62 & 1) return false;
  return !(e >> 63 & 1) || (e >> 61 & 1);
}

// A waiter the kernel must see: a native thread of its own makes the real
// FUTEX_WAIT (so any waker, in any process, counts it), and the green thread
// parks until that returns. Lives on the parked green thread's stack; the
// native thread does not touch it after wake().
struct KernelWaiter {
  const uint32_t* addr;
  uint32_t expected;
  green::Nanos deadline;
  uint32_t bits;
  green::Green* g;
  uint64_t seq;
};

void* kernel_waiter_main(void* arg) {
  auto w = static_cast<KernelWaiter*>(arg);
  sigset_t all;
  sigfillset(&all);
  REAL(pthread_sigmask)(SIG_SETMASK, &all, nullptr);  // signals are for the program's threads
  int r;
  while ((r = kernel_wait(w->addr, w->expected, w->deadline, w->bits, true)) == -EINTR) {
  }
  green::wake(w->g, w->seq, r);
  return nullptr;
}

// False when no thread could be made (the caller polls instead); else
// *out is the kernel's answer: 0, -EAGAIN or -ETIMEDOUT.
bool kernel_wait_off_hub(const uint32_t* addr, uint32_t expected, green::Nanos deadline,
                         uint32_t bits, int* out) {
  green::Green* g = green::current();
  KernelWaiter w{addr, expected, deadline, bits, g, green::park_seq(g)};
  pthread_attr_t attr;
  REAL(pthread_attr_init)(&attr);
  REAL(pthread_attr_setstacksize)(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  int rc = REAL(pthread_create)(&t, &attr, kernel_waiter_main, &w);
  REAL(pthread_attr_destroy)(&attr);
  if (rc) return false;
  *out = green::park(green::WaitReason::kSyncShared);
  return true;
}

// Fallback when no thread can be made: park, but also re-read the word
// every poll interval (1 ms doubling to 10 ms); a changed value ends the
// wait as a wake-up would. Another process's wake does not count it.
int shared_poll_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits) {
  auto word = reinterpret_cast<const std::atomic<uint32_t>*>(addr);
  green::Nanos poll = 1000000;
  for (bool first = true;; first = false) {
    green::Nanos until = std::min(deadline, green::now() + poll);
    int r = lot::park(key_of(addr, true), bits, 0, until, green::WaitReason::kSyncShared,
                      [&] { return word->load(std::memory_order_seq_cst) == expected; });
    if (r == 1) return first ? -EAGAIN : 0;
    if (r != -ETIMEDOUT || until >= deadline) return r;
    poll = std::min<green::Nanos>(poll * 2, 10000000);
  }
}

int shared_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
                green::WaitReason why) {
  if (!cross_process(addr)) return lot_wait(addr, expected, deadline, bits, true, why);
  if (reinterpret_cast<const std::atomic<uint32_t>*>(addr)->load() != expected) return -EAGAIN;
  int r;
  if (kernel_wait_off_hub(addr, expected, deadline, bits, &r)) return r;
  return shared_poll_wait(addr, expected, deadline, bits);
}

}  // namespace

int futex_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
               bool shared, green::WaitReason why) {
  if (!green::intercepting()) return kernel_wait(addr, expected, deadline, bits, shared);
  if (shared) return shared_wait(addr, expected, deadline, bits, why);
  return lot_wait(addr, expected, deadline, bits, false, why);
}

long futex_wake(const uint32_t* addr, int n, uint32_t bits, bool shared) {
  int woken = n <= 0 ? 0 : lot::unpark(key_of(addr, shared), n, bits);
  if (woken >= n && n > 0) return woken;
  int saved = errno;
  long r = real_futex(addr, FUTEX_WAKE_BITSET | private_flag(shared), n - woken, nullptr, nullptr, bits);
  errno = saved;
  if (r < 0) return woken ? woken : r;
  return woken + r;
}

}  // namespace green

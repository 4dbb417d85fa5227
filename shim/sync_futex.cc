// sync_futex.cc: the futex layer (see sync_futex.h).
#include "sync_futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "boundary.h"
#include "clock.h"
#include "parking_lot.h"

namespace shim {

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
             green::WaitReason why) {
  auto word = reinterpret_cast<const std::atomic<uint32_t>*>(addr);
  int r = lot::park(key_of(addr, false), bits, 0, deadline, why,
                    [&] { return word->load(std::memory_order_seq_cst) == expected; });
  if (r == 1) return -EAGAIN;
  return r;
}

// A shared word may be woken by another process, which cannot unpark us:
// park, but also re-read the word every poll interval (1 ms doubling to
// 10 ms); a changed value ends the wait as a wake-up would.
int shared_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits) {
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

}  // namespace

int futex_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
               bool shared, green::WaitReason why) {
  if (!green::intercepting()) return kernel_wait(addr, expected, deadline, bits, shared);
  if (shared) return shared_wait(addr, expected, deadline, bits);
  return lot_wait(addr, expected, deadline, bits, why);
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

}  // namespace shim

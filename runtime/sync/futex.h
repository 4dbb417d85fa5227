// futex.h: one futex layer for every waiter kind.
//
// A word is waited on in one of three ways, by who waits:
//   green thread, private word, or shared word on private anonymous memory
//                 (the kernel keys both by address space, so no other
//                 process can wake them) -> the parking lot (parking_lot.h),
//                 keyed by address, private and shared words keyed apart as
//                 in the kernel;
//   green thread, shared word another process may wake (MAP_SHARED, file
//                 pages: /proc/self/pagemap tells) -> a native thread of its
//                 own makes the real FUTEX_WAIT and wakes the parked green
//                 thread when it returns, so wakers in any process count it
//                 as the kernel would;
//   native thread -> the real futex syscall.
// So a wake does both: unpark green waiters, then the real FUTEX_WAKE for
// whatever count is left.
//
// Rejected: waiting for every shared word on libuv's pool -- libstdc++'s
// std::atomic::wait uses shared futex ops on private memory, so a handful of
// waiters exhausted the 4 pool threads and deadlocked (the queued waits
// never started). Such words stay in the lot; only truly shareable ones get
// a thread, which is not taken from any bounded pool.
//
// Limitations (README): a wake made with a raw syscall instruction, not
// through libc's syscall() or these functions, finds no green waiter in the
// lot; a green waiter on shared memory costs a native thread while it waits
// (when none can be made it polls the word every 1-10 ms, and another
// process's wake then does not count it).
#pragma once

#include <time.h>

#include <cstdint>

#include "green.h"

namespace green {

// The real futex(2); -errno on failure.
long real_futex(const void* addr, int op, uint32_t val, const timespec* ts, const void* addr2,
                uint32_t val3);

// Waits while *addr == expected, until woken or deadline (CLOCK_MONOTONIC
// ns). 0, -EAGAIN (value differed), -ETIMEDOUT or -EINTR (native only).
int futex_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
               bool shared, green::WaitReason why);

// Wakes up to n waiters whose bits intersect; the number woken or -errno.
long futex_wake(const uint32_t* addr, int n, uint32_t bits, bool shared);

}  // namespace green

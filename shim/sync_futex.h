// sync_futex.h: one futex layer for every waiter kind.
//
// A word is waited on in one of three ways, by who waits:
//   green thread  -> the parking lot (parking_lot.h), keyed by address, with
//                    private and shared words keyed apart as in the kernel;
//                    a shared word also re-reads the value every 1-10 ms,
//                    since another process's wake cannot unpark it;
//   native thread -> the real futex syscall.
// So a wake does both: unpark green waiters, then the real FUTEX_WAKE for
// whatever count is left.
//
// Rejected: waiting for a shared word on libuv's pool (exact across
// processes) -- libstdc++'s std::atomic::wait uses shared futex ops on
// private memory, so a handful of waiters exhausted the 4 pool threads and
// deadlocked (the queued waits never started).
//
// Limitations (README): a wake made with a raw syscall instruction, not
// through libc's syscall() or these functions, finds no green waiter; another
// process's FUTEX_WAKE does not count (or see) a green waiter, which notices
// the changed value within 10 ms instead; a cross-process wake that does not
// change the word is only seen at the deadline.
#pragma once

#include <time.h>

#include <cstdint>

#include "green.h"

namespace shim {

// The real futex(2); -errno on failure.
long real_futex(const void* addr, int op, uint32_t val, const timespec* ts, const void* addr2,
                uint32_t val3);

// Waits while *addr == expected, until woken or deadline (CLOCK_MONOTONIC
// ns). 0, -EAGAIN (value differed), -ETIMEDOUT or -EINTR (native only).
int futex_wait(const uint32_t* addr, uint32_t expected, green::Nanos deadline, uint32_t bits,
               bool shared, green::WaitReason why);

// Wakes up to n waiters whose bits intersect; the number woken or -errno.
long futex_wake(const uint32_t* addr, int n, uint32_t bits, bool shared);

}  // namespace shim

// parking_lot.h: green threads waiting on an address (WebKit's ParkingLot,
// Go's semaRoot).
//
// A fixed table of buckets, hashed by address. Each bucket has a SpinLock
// and an intrusive FIFO of Waiters; a Waiter lives on its parked green
// thread's stack. Only green threads park here: native threads block in
// the kernel (a real futex, or glibc's own blocking path), so every waker
// does both: unpark() here and the real wake-up for native waiters.
//
// Exactly one wake per park: a waiter can be ended by an unparker (any OS
// thread) or by its own timeout timer (its hub). Both race on
// Waiter::claimed; the winner unlinks it under the bucket lock and calls
// green::wake(). The loser does nothing.
//
// Lost wake-ups: park() enqueues, then runs the caller's `still_blocked`
// check under the bucket lock (after a seq_cst fence); a waker changes the
// state first and then looks at the bucket (maybe_waiters() fences too).
// Whichever comes second sees the other (Dekker).
//
// Never park or call anything that may park while holding a bucket lock.
#pragma once

#include <atomic>
#include <cstdint>

#include "green.h"

namespace green::lot {

constexpr uint32_t kAnyBits = 0xffffffffu;

struct Waiter;

// Parks the running green thread on addr until unpark() picks it (returns
// the unparker's result, normally 0) or deadline passes (-ETIMEDOUT). The
// waiter is enqueued before still_blocked() runs under the bucket lock; if
// it returns false, park returns 1 at once without parking. bits is the
// futex bitset (unpark only picks waiters whose bits intersect); tag is
// free for the caller (rwlock: reader or writer).
int park_impl(const void* addr, uint32_t bits, int tag, green::Nanos deadline, green::WaitReason why,
              bool (*still_blocked)(void*), void* ctx);

template <class F>
int park(const void* addr, uint32_t bits, int tag, green::Nanos deadline, green::WaitReason why,
         F still_blocked) {
  return park_impl(addr, bits, tag, deadline, why,
                   [](void* c) { return (*static_cast<F*>(c))(); }, &still_blocked);
}

// Wakes up to n waiters of addr whose bits intersect bits, oldest first;
// returns how many. Any thread (native ones too).
int unpark(const void* addr, int n, uint32_t bits = kAnyBits, int result = 0);
inline int unpark_all(const void* addr) { return unpark(addr, INT32_MAX); }

// Ends w's park with result unless an unparker or its timer claimed it
// first (pthread_cancel: cancel.cc). w's green thread must be parked in it.
void interrupt(Waiter* w, int result);

// While one is alive, the running green thread's parks end with -EINTR when
// a handled signal is delivered to it, as sem_wait's futex waits do natively
// (signal(7)): always, or, when restartable (an untimed wait: the kernel
// restarts it), only without SA_RESTART. The delivery claims the Waiter as
// lot::interrupt does, so it is unlinked before the thread runs again.
// Green threads only; not nested.
class SignalEndsPark {
 public:
  explicit SignalEndsPark(bool restartable);
  ~SignalEndsPark();
  SignalEndsPark(const SignalEndsPark&) = delete;
  SignalEndsPark& operator=(const SignalEndsPark&) = delete;
};

// A handled signal (restart: SA_RESTART) for g, parked (signal_delivery.cc):
// true when g's park is one SignalEndsPark made (ended with -EINTR unless it
// is restarted); false for the other parks.
bool interrupt_for_signal(green::Green* g, bool restart);

// False when no green thread can be parked on addr (cheap: no lock).
bool maybe_waiters(const void* addr);

// In a forked child: forgets every waiter (each belonged to a green thread
// that did not survive the fork) and frees every bucket lock.
void forget_all();

// How many waiters of addr carry tag. May be called from still_blocked.
int count_tag(const void* addr, int tag);

}  // namespace green::lot

// syscall.cc: syscall(SYS_futex, ...), as C++ (std::atomic::wait) and Rust
// (Mutex, Condvar, park) runtimes call it.
//
// FUTEX_WAIT / FUTEX_WAIT_BITSET from a green thread go to the futex layer
// (futex.h: the lot, or a real wait off the hub for shared memory);
// FUTEX_WAKE / FUTEX_WAKE_BITSET from ANY thread wake green waiters too, so
// a native waker finds them. Every other call and futex op passes through
// with all six arguments (FUTEX_REQUEUE and friends move kernel waiters
// only: README, limitations).
//
// io_getevents / io_pgetevents (libaio makes them with syscall(): stock
// MariaDB's InnoDB waits there) run on libuv's pool while the green thread
// parks: a Linux AIO context has no fd to wait on, and left inline each
// wait stopped the hub until a hand-off (sched/machine.h), which made
// MariaDB take 40 s to start. Any other call that blocks is a
// ReleasableCall: its hub may be handed off.
#include <linux/futex.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "boundary.h"
#include "io/deadline.h"
#include "io/fd_ops.h"
#include "io/fd_view.h"
#include "io/offload_call.h"
#include "os/high_fd.h"
#include "sync/futex.h"
#include "io/user_memory.h"

// Newer than Debian 11's glibc headers (2.31); one number on every CPU.
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

// The interposer of shim/io/epoll.cc (glibc 2.35+ headers declare it).
extern "C" int epoll_pwait2(int, epoll_event*, int, const timespec*, const sigset_t*);

namespace {

struct FutexArgs {
  uint32_t* addr;
  int op;
  uint32_t val;
  const timespec* ts;
  uint32_t val3;
};

int command(int op) { return op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME); }
bool is_shared(int op) { return !(op & FUTEX_PRIVATE_FLAG); }

// The deadline of a wait: FUTEX_WAIT's timeout is relative, FUTEX_WAIT_BITSET's
// absolute on CLOCK_MONOTONIC (or CLOCK_REALTIME with the flag). -errno if bad.
int wait_deadline(const FutexArgs& a, green::Nanos* out) {
  *out = green::kForever;
  if (!a.ts) return 0;
  timespec t;
  if (green::copy_in(&t, a.ts, sizeof t)) return -EFAULT;
  if (!green::timespec_valid(t)) return -EINVAL;
  if (command(a.op) == FUTEX_WAIT) {
    *out = green::deadline_after(t);
    return 0;
  }
  clockid_t clock = (a.op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  return green::deadline_from_abstime(clock, &t, out);
}

long green_wait(const FutexArgs& a) {
  uint32_t bits = command(a.op) == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : a.val3;
  if (bits == 0) return -EINVAL;
  green::Nanos deadline;
  if (int rc = wait_deadline(a, &deadline)) return rc;
  return green::futex_wait(a.addr, a.val, deadline, bits, is_shared(a.op), green::WaitReason::kFutex);
}

long wake(const FutexArgs& a) {
  uint32_t bits = command(a.op) == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : a.val3;
  if (bits == 0 || static_cast<int>(a.val) < 0) return -EINVAL;
  return green::futex_wake(a.addr, static_cast<int>(a.val), bits, is_shared(a.op));
}

// -ENOSYS: not ours, pass it through.
long futex(const FutexArgs& a) {
  switch (command(a.op)) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      return wake(a);
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
      return green::intercepting() ? green_wait(a) : -ENOSYS;
    default:
      return -ENOSYS;
  }
}

}  // namespace

GREEN_EXPORT long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_futex) {
    FutexArgs f{reinterpret_cast<uint32_t*>(a[0]), static_cast<int>(a[1]), static_cast<uint32_t>(a[2]),
                reinterpret_cast<const timespec*>(a[3]), static_cast<uint32_t>(a[5])};
    long r = futex(f);
    if (r != -ENOSYS) return shim::syscall_ret(r);
  }
  if (number == SYS_close_range)  // around libgreen's own fds (runtime/io/fd_ops.h)
    return green::fd_close_range(static_cast<unsigned>(a[0]), static_cast<unsigned>(a[1]),
                                 static_cast<int>(a[2]), [](unsigned lo, unsigned hi, int fl) {
                                   return static_cast<int>(REAL(syscall)(SYS_close_range, lo, hi, fl));
                                 });
  // glibc before 2.35 has no epoll_pwait2, so programs make it with
  // syscall(): the interposer's green wait (a mask of another size is the
  // kernel's EINVAL to give).
  if (number == SYS_epoll_pwait2 && green::intercepting() && (a[4] == 0 || a[5] == _NSIG / 8))
    return epoll_pwait2(static_cast<int>(a[0]), reinterpret_cast<epoll_event*>(a[1]), static_cast<int>(a[2]),
                        reinterpret_cast<const timespec*>(a[3]), reinterpret_cast<const sigset_t*>(a[4]));
  if ((number == SYS_io_getevents || number == SYS_io_pgetevents) && green::intercepting())
    return green::offload_call([&] { return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]); });
  long r;
  uint64_t since = green::debug_pass_through_begin();  // GREEN_DEBUG=1 only
  {
    green::ReleasableCall may_block;  // io_getevents, and any call libgreen does not know
    r = REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  if (since) {
    char what[32];
    snprintf(what, sizeof what, "syscall(%ld)", number);
    green::debug_pass_through_end(since, what);
  }
  if (number == SYS_io_uring_setup && green::t_high_fds) r = green::fd_move_high(static_cast<int>(r));
  green::note_raw_syscall(number, a, r);  // fd_view.cc
  return r;
}

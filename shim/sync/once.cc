// sync_once.cc: pthread_once for every caller, green and native.
//
// glibc's pthread_once makes late callers sleep in an internal futex call
// while the init routine runs, and the routine may block (so another green
// thread must get to run). Ours, on the pthread_once_t word, over the futex
// layer: 0 = not run, 1 = running, 2 = done (glibc's values for not run and
// done, so a control glibc completed reads as done). The first caller to
// move 0 -> 1 runs the routine, stores 2 and wakes every waiter; the others
// wait while the word is 1.
//
// Limitation: an init routine that is cancelled (pthread_cancel/exit) leaves
// the control "running" instead of resetting it to 0 as glibc does.
#include <linux/futex.h>
#include <pthread.h>

#include <atomic>
#include <climits>

#include "boundary.h"
#include "green.h"
#include "sync/futex.h"

namespace {

constexpr uint32_t kRunning = 1;
constexpr uint32_t kDone = 2;

}  // namespace

GREEN_EXPORT int pthread_once(pthread_once_t* once, void (*init)(void)) {
  if (!green::green_threads_on()) return REAL(pthread_once)(once, init);
  auto word = reinterpret_cast<std::atomic<uint32_t>*>(once);
  uint32_t v = word->load(std::memory_order_acquire);
  if (v == kDone) return 0;
  v = 0;
  if (word->compare_exchange_strong(v, kRunning, std::memory_order_acquire)) {
    init();
    word->store(kDone, std::memory_order_seq_cst);
    green::futex_wake(reinterpret_cast<uint32_t*>(once), INT_MAX, FUTEX_BITSET_MATCH_ANY, false);
    return 0;
  }
  while (word->load(std::memory_order_acquire) == kRunning)
    green::futex_wait(reinterpret_cast<uint32_t*>(once), kRunning, green::kForever, FUTEX_BITSET_MATCH_ANY,
                     false, green::WaitReason::kOnce);
  return 0;
}

// spinlock.h: a tiny lock for the few fields shared between OS threads
// (join state, a hub's registry). Held for a handful of instructions only,
// never across a park. Not a pthread mutex: those are interposed.
#pragma once

#include <atomic>

#include "cpu_relax.h"  // os/arch/<cpu>/: cpu_relax()

namespace green {

class SpinLock {
 public:
  void lock() {
    while (flag_.exchange(true, std::memory_order_acquire))
      while (flag_.load(std::memory_order_relaxed)) cpu_relax();
  }
  void unlock() { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) : l_(l) { l_.lock(); }
  ~SpinGuard() { l_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace green

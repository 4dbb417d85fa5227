// addr_table.h: a fixed table of locked buckets keyed by address, the shape
// the parking lot, the green-owner table and the stdio locks share (WebKit's
// ParkingLot, Go's semaRoot table).
//
// Each bucket is a Bucket (the user's type, which has a SpinLock `lock`),
// cache-line aligned so neighbouring buckets do not share a line. The hash
// is Fibonacci hashing of the address without its alignment bits.
//
// Threading: the table itself is immutable; a bucket's contents are
// guarded by its lock, held for a few instructions, never across a park.
#pragma once

#include <cstddef>
#include <cstdint>

#include "os/spinlock.h"

namespace green {

// Constant-initialised when Bucket is (declare tables constinit): the
// interposers may use them before any constructor has run.
template <class Bucket, int kLog2Buckets, int kAlignBits>
class AddrTable {
 public:
  struct alignas(64) Slot : Bucket {};
  static constexpr size_t kBuckets = size_t{1} << kLog2Buckets;

  Bucket& of(const void* addr) {
    auto a = reinterpret_cast<uintptr_t>(addr) >> kAlignBits;
    return buckets_[(a * 0x9E3779B97F4A7C15ull) >> (64 - kLog2Buckets)];
  }
  // Every bucket, for whole-table walks (fork children, thread exit).
  Slot* begin() { return buckets_; }
  Slot* end() { return buckets_ + kBuckets; }

 private:
  Slot buckets_[kBuckets];
};

}  // namespace green

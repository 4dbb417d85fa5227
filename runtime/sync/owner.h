// owner.h: which green thread owns a mutex, where glibc cannot tell.
//
// glibc names a mutex's owner by the TID of the OS thread, which every green
// thread of a hub shares. For the kinds whose behaviour depends on the
// owner (recursive, errorcheck, robust) green owners are recorded here,
// keyed by the mutex's address, with the green recursion count (glibc's own
// count stays 1). Native owners are not recorded: glibc tells them apart.
//
// Threading: any thread; a table of buckets, each guarded by a SpinLock.
// A record is created and erased only by its owner.
#pragma once

#include "green.h"

namespace green {

struct OwnerInfo {
  green::Green* owner = nullptr;
  unsigned count = 0;
};

// The green owner of m, or {nullptr, 0}.
OwnerInfo owner_of(const void* m);
void owner_set(const void* m, green::Green* g, int kind);   // count 1
void owner_count(const void* m, unsigned count);
void owner_erase(const void* m);
// Erases every record of g and calls fn(m, kind) for each (g is ending).
void owner_drop_all(green::Green* g, void (*fn)(void* m, int kind));

}  // namespace green

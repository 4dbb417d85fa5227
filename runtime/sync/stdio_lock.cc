// stdio_lock.cc: the green FILE locks (see stdio_lock.h).
//
// Records sit in singly-linked bucket chains guarded by the bucket's spin
// lock; freed records stay on the bucket's free list, so locking a FILE
// allocates only the first time a bucket needs one more record than it ever
// had. g_held counts live records: with none, stdio_wait_unlocked is a load.
//
// Wake-ups: an unlocker erases the record, then unparks one waiter of the
// FILE's address; a waiter enqueues in the lot, then re-checks the record
// under the lot's bucket lock (parking_lot.h, Dekker), so no release is
// missed. A woken waiter retries and may lose to a barging thread; it then
// parks again (no hand-off, as glibc's own lock).
//
// fork(): glibc re-initializes every FILE lock in the child; so does the
// atfork child handler here (the owners of the records are gone).
#include "sync/stdio_lock.h"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <new>

#include "green.h"
#include "sync/parking_lot.h"
#include "os/spinlock.h"
#include "sync/addr_table.h"

namespace green {
namespace {

struct Record {
  const FILE* f;
  green::Green* owner;
  unsigned count;
  Record* next;
};

struct Bucket {
  green::SpinLock lock;
  Record* head = nullptr;
  Record* free = nullptr;
};

constinit AddrTable<Bucket, 6, 4> g_table;
std::atomic<long> g_held{0};

Bucket& bucket_of(const FILE* f) { return g_table.of(f); }

Record** find(Bucket& b, const FILE* f) {
  Record** p = &b.head;
  while (*p && (*p)->f != f) p = &(*p)->next;
  return p;
}

// Under b's lock: 1 when g now holds f, 0 when another green thread does,
// -1 when a record is needed and neither the free list nor spare has one.
int take_locked(Bucket& b, const FILE* f, green::Green* g, Record*& spare) {
  if (Record* r = *find(b, f)) {
    if (r->owner != g) return 0;
    r->count++;
    return 1;
  }
  Record* r = b.free;
  if (r) {
    b.free = r->next;
  } else if (spare) {
    r = spare;
    spare = nullptr;
  } else {
    return -1;
  }
  *r = Record{f, g, 1, b.head};
  b.head = r;
  g_held.fetch_add(1, std::memory_order_seq_cst);
  return 1;
}

// One attempt by g: true when g now holds f.
bool try_take(const FILE* f, green::Green* g) {
  Bucket& b = bucket_of(f);
  Record* spare = nullptr;
  int r;
  for (;;) {
    {
      green::SpinGuard guard(b.lock);
      r = take_locked(b, f, g, spare);
    }
    if (r >= 0) break;
    spare = new (std::nothrow) Record{};
    if (!spare) return true;  // out of memory: glibc's lock alone, as natively
  }
  if (spare) {
    green::SpinGuard guard(b.lock);
    spare->next = b.free;
    b.free = spare;
  }
  return r == 1;
}

bool held_by_other(const FILE* f, green::Green* g) {
  if (g_held.load(std::memory_order_seq_cst) == 0) return false;
  Bucket& b = bucket_of(f);
  green::SpinGuard guard(b.lock);
  Record* r = *find(b, f);
  return r && r->owner != g;
}

void park_while_held(const FILE* f, green::Green* g) {
  lot::park(f, lot::kAnyBits, 0, green::kForever, green::WaitReason::kStdioLock,
            [&] { return held_by_other(f, g); });
}

void reset_in_child() {
  for (Bucket& b : g_table) {
    while (Record* r = b.head) {
      b.head = r->next;
      r->next = b.free;
      b.free = r;
    }
    b.lock.unlock();
  }
  g_held.store(0);
}

[[gnu::constructor]] void register_fork_handler() { pthread_atfork(nullptr, nullptr, reset_in_child); }

}  // namespace

void stdio_lock(FILE* f) {
  green::Green* g = green::current();
  while (!try_take(f, g)) park_while_held(f, g);
}

bool stdio_trylock(FILE* f) { return try_take(f, green::current()); }

void stdio_unlock(FILE* f) {
  green::Green* g = green::current();
  Bucket& b = bucket_of(f);
  {
    green::SpinGuard guard(b.lock);
    Record** p = find(b, f);
    Record* r = *p;
    if (!r || r->owner != g) return;
    if (--r->count > 0) return;
    *p = r->next;
    r->next = b.free;
    b.free = r;
    g_held.fetch_sub(1, std::memory_order_seq_cst);
  }
  if (lot::maybe_waiters(f)) lot::unpark(f, 1);
}

void stdio_on_green_exit(green::Green* g) {
  if (g_held.load(std::memory_order_seq_cst) == 0) return;
  for (Bucket& b : g_table) {
    for (;;) {
      const FILE* freed = nullptr;
      {
        green::SpinGuard guard(b.lock);
        for (Record** p = &b.head; *p; p = &(*p)->next) {
          Record* r = *p;
          if (r->owner != g) continue;
          *p = r->next;
          r->next = b.free;
          b.free = r;
          g_held.fetch_sub(1, std::memory_order_seq_cst);
          freed = r->f;
          break;
        }
      }
      if (!freed) break;
      if (lot::maybe_waiters(freed)) lot::unpark(freed, 1);
    }
  }
}

void stdio_wait_unlocked(FILE* f) {
  green::Green* g = green::current();
  while (held_by_other(f, g)) park_while_held(f, g);
}

}  // namespace green

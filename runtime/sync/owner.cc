// owner.cc: the green-owner table (see owner.h).
//
// Records are heap nodes in singly-linked bucket chains, guarded by the
// bucket's lock. g_records counts them all so a green thread that ends
// owning nothing does not walk the table.
#include "sync/owner.h"

#include <atomic>
#include <cstdint>
#include <new>

#include "os/spinlock.h"
#include "sync/addr_table.h"

namespace green {
namespace {

struct Record {
  const void* m;
  green::Green* owner;
  unsigned count;
  int kind;
  Record* next;
};

struct Bucket {
  green::SpinLock lock;
  Record* head = nullptr;
};

constinit green::AddrTable<Bucket, 8, 3> g_table;
std::atomic<long> g_records{0};

Bucket& bucket_of(const void* m) { return g_table.of(m); }

Record** find(Bucket& b, const void* m) {
  Record** p = &b.head;
  while (*p && (*p)->m != m) p = &(*p)->next;
  return p;
}

}  // namespace

OwnerInfo owner_of(const void* m) {
  if (g_records.load(std::memory_order_acquire) == 0) return {};
  Bucket& b = bucket_of(m);
  green::SpinGuard guard(b.lock);
  Record* r = *find(b, m);
  return r ? OwnerInfo{r->owner, r->count} : OwnerInfo{};
}

void owner_set(const void* m, green::Green* g, int kind) {
  auto r = new (std::nothrow) Record{m, g, 1, kind, nullptr};
  if (!r) return;  // out of memory: the mutex then behaves like glibc's alone
  Bucket& b = bucket_of(m);
  green::SpinGuard guard(b.lock);
  r->next = b.head;
  b.head = r;
  g_records.fetch_add(1, std::memory_order_release);
}

void owner_count(const void* m, unsigned count) {
  Bucket& b = bucket_of(m);
  green::SpinGuard guard(b.lock);
  if (Record* r = *find(b, m)) r->count = count;
}

void owner_erase(const void* m) {
  Bucket& b = bucket_of(m);
  Record* dead = nullptr;
  {
    green::SpinGuard guard(b.lock);
    Record** p = find(b, m);
    dead = *p;
    if (dead) *p = dead->next;
  }
  if (dead) g_records.fetch_sub(1, std::memory_order_relaxed);
  delete dead;
}

void owner_drop_all(green::Green* g, void (*fn)(void* m, int kind)) {
  if (g_records.load(std::memory_order_acquire) == 0) return;
  for (Bucket& b : g_table) {
    Record* mine = nullptr;
    {
      green::SpinGuard guard(b.lock);
      for (Record** p = &b.head; *p;) {
        Record* r = *p;
        if (r->owner != g) {
          p = &r->next;
          continue;
        }
        *p = r->next;
        r->next = mine;
        mine = r;
      }
    }
    while (mine) {
      Record* next = mine->next;
      g_records.fetch_sub(1, std::memory_order_relaxed);
      fn(const_cast<void*>(mine->m), mine->kind);
      delete mine;
      mine = next;
    }
  }
}

}  // namespace green

// parking_lot.cc: the bucket table (see parking_lot.h for the protocol).
//
// Ownership: a Waiter is owned by its parked green thread (its stack). It
// is linked in exactly one bucket from park_impl's enqueue until a claimer
// unlinks it; links are guarded by the bucket's lock. `claimed` decides who
// wakes it. After wake() the claimer never touches the Waiter again: it
// copies g and seq out first.
#include "sync/parking_lot.h"

#include <cerrno>

#include "thread/cancel.h"
#include "os/spinlock.h"
#include "sync/addr_table.h"
#include "sched/green_thread.h"
#include "sched/timer.h"

namespace green::lot {

struct Waiter {
  const void* addr;
  uint32_t bits;
  int tag;
  green::Green* g;
  uint64_t seq;
  Waiter* prev = nullptr;          // bucket links (bucket lock)
  Waiter* next = nullptr;
  std::atomic<bool> claimed{false};
};

namespace {

struct Bucket {
  green::SpinLock lock;
  std::atomic<int> n{0};           // waiters linked here (written under lock)
  Waiter* head = nullptr;
  Waiter* tail = nullptr;

  void push(Waiter* w) {
    w->prev = tail;
    w->next = nullptr;
    if (tail) tail->next = w;
    else head = w;
    tail = w;
    n.fetch_add(1, std::memory_order_seq_cst);
  }
  void unlink(Waiter* w) {
    if (w->prev) w->prev->next = w->next;
    else head = w->next;
    if (w->next) w->next->prev = w->prev;
    else tail = w->prev;
    n.fetch_sub(1, std::memory_order_relaxed);
  }
};

constinit green::AddrTable<Bucket, 10, 2> g_buckets;

// The bucket whose lock this thread holds while park_impl runs the caller's
// still_blocked check (which may call count_tag on the same bucket).
thread_local Bucket* t_checking = nullptr;

Bucket& bucket_of(const void* addr) { return g_buckets.of(addr); }

bool claim(Waiter* w) {
  bool expected = false;
  return w->claimed.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
}

// The waiter's own timeout: runs on its hub's thread.
struct LotTimer : green::TimerNode {
  Waiter* w;
};

void fire_lot_timer(green::TimerNode* t) {
  Waiter* w = static_cast<LotTimer*>(t)->w;
  if (!claim(w)) return;
  Bucket& b = bucket_of(w->addr);
  {
    green::SpinGuard guard(b.lock);
    b.unlink(w);
  }
  green::wake(w->g, w->seq, -ETIMEDOUT);
}

}  // namespace

int park_impl(const void* addr, uint32_t bits, int tag, green::Nanos deadline, green::WaitReason why,
              bool (*still_blocked)(void*), void* ctx) {
  green::Green* g = green::current();
  Waiter w;
  w.addr = addr;
  w.bits = bits;
  w.tag = tag;
  w.g = g;
  w.seq = green::park_seq(g);
  Bucket& b = bucket_of(addr);
  b.lock.lock();
  b.push(&w);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  t_checking = &b;
  bool blocked = still_blocked(ctx);
  t_checking = nullptr;
  if (!blocked || deadline <= green::now()) {
    b.unlink(&w);
    b.lock.unlock();
    return blocked ? -ETIMEDOUT : 1;
  }
  b.lock.unlock();
  LotTimer timer;
  timer.w = &w;
  timer.deadline = deadline;
  timer.fire = fire_lot_timer;
  cancel_note_lot_waiter(&w);
  if (g->lot_signal_ends) g->lot_signal_waiter = &w;
  int r = green::park_with_timer(why, &timer, false);
  g->lot_signal_waiter = nullptr;
  cancel_note_lot_waiter(nullptr);
  return r;
}

SignalEndsPark::SignalEndsPark(bool restartable) {
  if (green::Green* g = green::current()) {
    g->lot_signal_ends = true;
    g->lot_signal_restartable = restartable;
  }
}

SignalEndsPark::~SignalEndsPark() {
  if (green::Green* g = green::current()) g->lot_signal_ends = false;
}

bool interrupt_for_signal(green::Green* g, bool restart) {
  Waiter* w = g->lot_signal_waiter;
  if (!w) return false;
  if (!(restart && g->lot_signal_restartable)) interrupt(w, -EINTR);
  return true;
}

void interrupt(Waiter* w, int result) {
  if (!claim(w)) return;
  Bucket& b = bucket_of(w->addr);
  {
    green::SpinGuard guard(b.lock);
    b.unlink(w);
  }
  green::wake(w->g, w->seq, result);
}

int unpark(const void* addr, int n, uint32_t bits, int result) {
  constexpr int kBatch = 32;
  int woken = 0;
  while (woken < n) {
    green::Green* gs[kBatch];
    uint64_t seqs[kBatch];
    int k = 0;
    bool more = false;
    Bucket& b = bucket_of(addr);
    if (!maybe_waiters(addr)) break;
    {
      green::SpinGuard guard(b.lock);
      for (Waiter* w = b.head; w && woken + k < n; ) {
        Waiter* next = w->next;
        if (k == kBatch) {
          more = true;
          break;
        }
        if (w->addr == addr && (w->bits & bits) && claim(w)) {
          b.unlink(w);
          gs[k] = w->g;
          seqs[k] = w->seq;
          k++;
        }
        w = next;
      }
    }
    for (int i = 0; i < k; i++) green::wake(gs[i], seqs[i], result);
    woken += k;
    if (!more) break;
  }
  return woken;
}

void forget_all() {
  for (Bucket& b : g_buckets) {
    b.lock.unlock();
    b.n.store(0);
    b.head = b.tail = nullptr;
  }
}

bool maybe_waiters(const void* addr) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return bucket_of(addr).n.load(std::memory_order_relaxed) != 0;
}

int count_tag(const void* addr, int tag) {
  Bucket& b = bucket_of(addr);
  bool held = t_checking == &b;
  if (!held) b.lock.lock();
  int c = 0;
  for (Waiter* w = b.head; w; w = w->next)
    if (w->addr == addr && w->tag == tag && !w->claimed.load(std::memory_order_relaxed)) c++;
  if (!held) b.lock.unlock();
  return c;
}

}  // namespace green::lot

#include "thread/native_threads.h"

#include <atomic>
#include <new>

#include "os/spinlock.h"

namespace green {

namespace {

struct Entry {
  pthread_t thread;
  bool used;
  bool gone;  // recorded before a fork: no such thread in this process
};

constexpr int kSlots = 256;
green::SpinLock g_lock;
Entry g_table[kSlots];          // guarded by g_lock
std::atomic<int> g_gone{0};     // entries with gone set: 0 keeps joins off the lock

}  // namespace

// glibc reuses a vanished thread's memory, so a new thread may get the
// handle of one recorded before the fork: that record goes (a join of the
// new thread must wait for it).
void native_thread_created(pthread_t t) {
  green::SpinGuard guard(g_lock);
  for (Entry& e : g_table)
    if (e.used && e.gone && pthread_equal(e.thread, t)) {
      e = Entry{};
      g_gone.fetch_sub(1, std::memory_order_relaxed);
    }
  for (Entry& e : g_table)
    if (!e.used) {
      e = Entry{t, true, false};
      return;
    }
}

void native_thread_joined(pthread_t t) {
  green::SpinGuard guard(g_lock);
  for (Entry& e : g_table)
    if (e.used && pthread_equal(e.thread, t)) {
      if (e.gone) g_gone.fetch_sub(1, std::memory_order_relaxed);
      e = Entry{};
    }
}

bool native_thread_gone(pthread_t t) {
  if (g_gone.load(std::memory_order_relaxed) == 0) return false;
  green::SpinGuard guard(g_lock);
  for (Entry& e : g_table)
    if (e.used && e.gone && pthread_equal(e.thread, t)) return true;
  return false;
}

// The child is single-threaded here; a lock a vanished thread held at fork
// must not stop it.
void native_threads_after_fork() {
  new (&g_lock) green::SpinLock;
  int gone = 0;
  for (Entry& e : g_table)
    if (e.used) e.gone = true, gone++;
  g_gone.store(gone, std::memory_order_relaxed);
}

}  // namespace green

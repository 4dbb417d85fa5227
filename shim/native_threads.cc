#include "native_threads.h"

#include <unistd.h>

#include "spinlock.h"

namespace shim {

namespace {

struct Entry {
  pthread_t thread;
  pid_t creator;  // 0: free slot
};

constexpr int kSlots = 256;
green::SpinLock g_lock;
Entry g_table[kSlots];  // guarded by g_lock

}  // namespace

void native_thread_created(pthread_t t) {
  green::SpinGuard guard(g_lock);
  for (Entry& e : g_table)
    if (!e.creator) {
      e = Entry{t, getpid()};
      return;
    }
}

void native_thread_joined(pthread_t t) {
  green::SpinGuard guard(g_lock);
  for (Entry& e : g_table)
    if (e.creator && pthread_equal(e.thread, t)) e.creator = 0;
}

bool native_thread_gone(pthread_t t) {
  green::SpinGuard guard(g_lock);
  pid_t self = getpid();
  for (Entry& e : g_table)
    if (e.creator && e.creator != self && pthread_equal(e.thread, t)) return true;
  return false;
}

}  // namespace shim

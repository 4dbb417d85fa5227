// tsd.cc: thread-specific data (pthread_key_*) per green thread, and the
// end of a green thread's pthread state (on_green_exit).
//
// Keys are glibc's own (pthread_key_create passes through), so native
// threads keep using glibc's storage. A green thread's values live in its
// PosixThread, because glibc keeps them per OS thread, which all green
// threads of a hub share. Destructors run at green-thread exit, as
// pthread_key_create(3) describes: up to PTHREAD_DESTRUCTOR_ITERATIONS rounds.
#include <climits>
#include <atomic>

#include "glibc/real.h"
#include "sync/stdio_lock.h"
#include "sync/mutex.h"
#include "signal/masks.h"
#include "thread/posix_thread.h"

namespace {

using Destructor = void (*)(void*);

// Written by key_create/key_delete (any thread), read at thread exit.
std::atomic<Destructor> g_destructor[PTHREAD_KEYS_MAX];
std::atomic<bool> g_live[PTHREAD_KEYS_MAX];

}  // namespace

namespace green {

PosixThread* posix_thread(green::Green* g) {
  void*& slot = green::posix_data(g);
  if (!slot) slot = new PosixThread;
  return static_cast<PosixThread*>(slot);
}

void run_tsd_destructors(PosixThread* t) {
  for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS && t->has_tsd; round++) {
    t->has_tsd = false;
    for (size_t k = 0; k < t->tsd.size(); k++) {
      void* v = t->tsd[k];
      Destructor d = g_destructor[k].load(std::memory_order_acquire);
      if (!v) continue;
      t->tsd[k] = nullptr;
      if (d && g_live[k].load(std::memory_order_acquire)) d(v);
    }
  }
}

// glibc's start_thread (nptl/pthread_create.c) runs __call_tls_dtors, then
// the thread-specific-data destructors: the same order here.
void on_green_exit(green::Green* g) {
  run_tls_destructors();
  signal_green_left(g);
  sync_on_green_exit(g);
  stdio_on_green_exit(g);
  void*& slot = green::posix_data(g);
  if (!slot) return;
  auto t = static_cast<PosixThread*>(slot);
  run_tsd_destructors(t);
  delete t;
  slot = nullptr;
}

void tsd_key_created(pthread_key_t key, void (*destructor)(void*)) {
  if (key >= PTHREAD_KEYS_MAX) return;
  g_destructor[key].store(destructor, std::memory_order_release);
  g_live[key].store(true, std::memory_order_release);
}

void tsd_key_deleted(pthread_key_t key) {
  if (key < PTHREAD_KEYS_MAX) g_live[key].store(false, std::memory_order_release);
}

void* tsd_get(Green* g, pthread_key_t key) {
  auto t = static_cast<PosixThread*>(posix_data(g));
  if (!t || key >= t->tsd.size()) return nullptr;
  return t->tsd[key];
}

int tsd_set(Green* g, pthread_key_t key, const void* value) {
  if (key >= PTHREAD_KEYS_MAX || !g_live[key].load(std::memory_order_acquire)) return EINVAL;
  PosixThread* t = posix_thread(g);
  if (key >= t->tsd.size()) {
    if (!value) return 0;
    t->tsd.resize(key + 1, nullptr);
  }
  t->tsd[key] = const_cast<void*>(value);
  if (value) t->has_tsd = true;
  return 0;
}

}  // namespace green

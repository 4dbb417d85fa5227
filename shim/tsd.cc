// tsd.cc: thread-specific data (pthread_key_*) per green thread.
//
// Keys are glibc's own (pthread_key_create passes through), so native
// threads keep using glibc's storage. A green thread's values live in its
// ShimThread, because glibc keeps them per OS thread, which all green
// threads of a hub share. Destructors run at green-thread exit, as
// pthread_key_create(3) describes: up to PTHREAD_DESTRUCTOR_ITERATIONS rounds.
#include <atomic>

#include "boundary.h"
#include "stdio_lock.h"
#include "sync_mutex.h"
#include "thread_exit.h"

namespace {

using Destructor = void (*)(void*);

// Written by key_create/key_delete (any thread), read at thread exit.
std::atomic<Destructor> g_destructor[PTHREAD_KEYS_MAX];
std::atomic<bool> g_live[PTHREAD_KEYS_MAX];

}  // namespace

namespace shim {

ShimThread* shim_thread(green::Green* g) {
  void*& slot = green::shim_data(g);
  if (!slot) slot = new ShimThread;
  return static_cast<ShimThread*>(slot);
}

void run_tsd_destructors(ShimThread* t) {
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
  sync_on_green_exit(g);
  stdio_on_green_exit(g);
  void*& slot = green::shim_data(g);
  if (!slot) return;
  auto t = static_cast<ShimThread*>(slot);
  run_tsd_destructors(t);
  delete t;
  slot = nullptr;
}

}  // namespace shim

GREEN_EXPORT int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  int rc = REAL(pthread_key_create)(key, destructor);
  if (rc == 0 && *key < PTHREAD_KEYS_MAX) {
    g_destructor[*key].store(destructor, std::memory_order_release);
    g_live[*key].store(true, std::memory_order_release);
  }
  return rc;
}

GREEN_EXPORT int pthread_key_delete(pthread_key_t key) {
  int rc = REAL(pthread_key_delete)(key);
  if (rc == 0 && key < PTHREAD_KEYS_MAX) g_live[key].store(false, std::memory_order_release);
  return rc;
}

GREEN_EXPORT void* pthread_getspecific(pthread_key_t key) {
  green::Green* g = green::current();
  if (!g) return REAL(pthread_getspecific)(key);
  auto t = static_cast<shim::ShimThread*>(green::shim_data(g));
  if (!t || key >= t->tsd.size()) return nullptr;
  return t->tsd[key];
}

GREEN_EXPORT int pthread_setspecific(pthread_key_t key, const void* value) {
  green::Green* g = green::current();
  if (!g) return REAL(pthread_setspecific)(key, value);
  if (key >= PTHREAD_KEYS_MAX || !g_live[key].load(std::memory_order_acquire)) return EINVAL;
  shim::ShimThread* t = shim::shim_thread(g);
  if (key >= t->tsd.size()) {
    if (!value) return 0;
    t->tsd.resize(key + 1, nullptr);
  }
  t->tsd[key] = const_cast<void*>(value);
  if (value) t->has_tsd = true;
  return 0;
}

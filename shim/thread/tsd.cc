// tsd.cc: pthread_key_* and pthread_{get,set}specific; the values of a green
// thread live in its PosixThread (runtime/thread/tsd.cc says why).
#include "boundary.h"
#include "thread/posix_thread.h"

GREEN_EXPORT int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  int rc = REAL(pthread_key_create)(key, destructor);
  if (rc == 0) green::tsd_key_created(*key, destructor);
  return rc;
}

GREEN_EXPORT int pthread_key_delete(pthread_key_t key) {
  int rc = REAL(pthread_key_delete)(key);
  if (rc == 0) green::tsd_key_deleted(key);
  return rc;
}

GREEN_EXPORT void* pthread_getspecific(pthread_key_t key) {
  green::Green* g = green::current();
  if (!g) return REAL(pthread_getspecific)(key);
  return green::tsd_get(g, key);
}

GREEN_EXPORT int pthread_setspecific(pthread_key_t key, const void* value) {
  green::Green* g = green::current();
  if (!g) return REAL(pthread_setspecific)(key, value);
  return green::tsd_set(g, key, value);
}

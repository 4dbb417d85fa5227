// cancel.cc: pthread_cancel, pthread_setcancelstate/type, pthread_testcancel
// (the model: runtime/thread/cancel.h).
#include <pthread.h>

#include "boundary.h"
#include "thread/cancel.h"

namespace {

green::Green* green_of(pthread_t t) { return green::green_from_handle(reinterpret_cast<void*>(t)); }

}  // namespace

GREEN_EXPORT int pthread_cancel(pthread_t th) {
  green::Green* g = green_of(th);
  if (!g) return REAL(pthread_cancel)(th);
  return green::cancel_request(g);
}

GREEN_EXPORT int pthread_setcancelstate(int state, int* old) {
  if (!green::current()) return REAL(pthread_setcancelstate)(state, old);
  return green::cancel_set_state(state, old);
}

GREEN_EXPORT int pthread_setcanceltype(int type, int* old) {
  if (!green::current()) return REAL(pthread_setcanceltype)(type, old);
  return green::cancel_set_type(type, old);
}

GREEN_EXPORT void pthread_testcancel(void) {
  if (!green::current()) return REAL(pthread_testcancel)();
  if (green::intercepting()) green::cancel_point();
}

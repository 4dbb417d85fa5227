// cleanup.cc: the entry points the pthread_cleanup_push/pop macros call,
// kept per green thread (runtime/thread/exit.cc says why and how).
#include "boundary.h"
#include "thread/posix_thread.h"

GREEN_EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t* buf) {
  if (!green::current()) return REAL(__pthread_register_cancel)(buf);
  green::cleanup_push(buf);
}

GREEN_EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf) {
  if (!green::current()) return REAL(__pthread_unregister_cancel)(buf);
  green::cleanup_pop(buf);
}

GREEN_EXPORT void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  if (!green::current()) {
    REAL(__pthread_unwind_next)(buf);
    __builtin_unreachable();
  }
  green::cleanup_unwind_next();
}

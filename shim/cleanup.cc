// cleanup.cc: pthread_exit unwinding and C cleanup handlers per green thread.
//
// glibc keeps the stack of pthread_cleanup_push buffers in the OS thread's
// struct pthread, which all green threads of a hub share, so the three
// entry points the pthread_cleanup_push/pop macros call are interposed and
// keep the stack in the green thread's ShimThread instead (the buffer's
// __pad[0] links to the previous one: the buffer is ours while registered).
//
// pthread_exit on a green thread does what glibc's does natively: a forced
// unwind (C++ destructors and catch(...) blocks run; swallowing it aborts,
// as natively), whose stop function jumps into each C cleanup buffer whose
// frame is being left (the macro then runs the handler and calls
// __pthread_unwind_next, which resumes the unwind). At the end of the green
// thread's stack the thread ends with the value given to pthread_exit.
#include <setjmp.h>
#include <unwind.h>

#include <cstring>

#include "boundary.h"
#include "thread_exit.h"

namespace {

shim::ShimThread* self() { return shim::shim_thread(green::current()); }

__pthread_unwind_buf_t*& prev_of(__pthread_unwind_buf_t* buf) {
  return *reinterpret_cast<__pthread_unwind_buf_t**>(&buf->__pad[0]);
}

[[noreturn]] void jump_into(__pthread_unwind_buf_t* buf) {
  longjmp(reinterpret_cast<__jmp_buf_tag*>(buf->__cancel_jmp_buf), 1);
}

_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception*,
                         _Unwind_Context* ctx, void*) {
  shim::ShimThread* t = self();
  __pthread_unwind_buf_t* buf = t->cleanup;
  bool end = actions & _UA_END_OF_STACK;
  if (buf && (end || reinterpret_cast<uintptr_t>(buf) < _Unwind_GetCFA(ctx))) {
    t->cleanup = prev_of(buf);
    jump_into(buf);
  }
  if (end) green::exit_current(t->exit_value);
  return _URC_NO_REASON;
}

void cleanup_exception(_Unwind_Reason_Code, _Unwind_Exception*) {}

[[noreturn]] void unwind(shim::ShimThread* t) {
  memset(&t->unwind_exc, 0, sizeof t->unwind_exc);
  memcpy(&t->unwind_exc.exception_class, "GRNUNWND", 8);
  t->unwind_exc.exception_cleanup = cleanup_exception;
  _Unwind_ForcedUnwind(&t->unwind_exc, stop, nullptr);
  green::exit_current(t->exit_value);  // no unwind information: end here
}

}  // namespace

namespace shim {

[[noreturn]] void green_thread_exit(void* value) {
  ShimThread* t = self();
  t->exit_value = value;
  t->exiting = true;  // no cancellation acts during the handlers, as natively
  unwind(t);
}

}  // namespace shim

GREEN_EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t* buf) {
  if (!green::current()) return REAL(__pthread_register_cancel)(buf);
  shim::ShimThread* t = self();
  prev_of(buf) = t->cleanup;
  t->cleanup = buf;
}

GREEN_EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf) {
  if (!green::current()) return REAL(__pthread_unregister_cancel)(buf);
  self()->cleanup = prev_of(buf);
}

GREEN_EXPORT void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  if (!green::current()) {
    REAL(__pthread_unwind_next)(buf);
    __builtin_unreachable();
  }
  unwind(self());
}

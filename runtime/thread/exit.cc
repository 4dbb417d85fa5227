// exit.cc: pthread_exit unwinding and C cleanup handlers per green thread
// (shim/thread/cleanup.cc holds the entry points the macros call).
//
// glibc keeps the stack of pthread_cleanup_push buffers in the OS thread's
// struct pthread, which all green threads of a hub share, so the three
// entry points the pthread_cleanup_push/pop macros call are interposed and
// keep the stack in the green thread's PosixThread instead (the buffer's
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

#include "thread/posix_thread.h"

namespace {

green::PosixThread* self() { return green::posix_thread(green::current()); }

__pthread_unwind_buf_t*& prev_of(__pthread_unwind_buf_t* buf) {
  return *reinterpret_cast<__pthread_unwind_buf_t**>(&buf->__pad[0]);
}

[[noreturn]] void jump_into(__pthread_unwind_buf_t* buf) {
  longjmp(reinterpret_cast<__jmp_buf_tag*>(buf->__cancel_jmp_buf), 1);
}

_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception*,
                         _Unwind_Context* ctx, void*) {
  green::PosixThread* t = self();
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

[[noreturn]] void unwind(green::PosixThread* t) {
  memset(&t->unwind_exc, 0, sizeof t->unwind_exc);
  memcpy(&t->unwind_exc.exception_class, "GRNUNWND", 8);
  t->unwind_exc.exception_cleanup = cleanup_exception;
  _Unwind_ForcedUnwind(&t->unwind_exc, stop, nullptr);
  green::exit_current(t->exit_value);  // no unwind information: end here
}

}  // namespace

namespace green {

[[noreturn]] void green_thread_exit(void* value) {
  PosixThread* t = self();
  t->exit_value = value;
  t->exiting = true;  // no cancellation acts during the handlers, as natively
  unwind(t);
}

void cleanup_push(__pthread_unwind_buf_t* buf) {
  PosixThread* t = self();
  prev_of(buf) = t->cleanup;
  t->cleanup = buf;
}

void cleanup_pop(__pthread_unwind_buf_t* buf) { self()->cleanup = prev_of(buf); }

[[noreturn]] void cleanup_unwind_next() { unwind(self()); }

}  // namespace green

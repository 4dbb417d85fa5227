// tls_dtors.cc: thread_local destructors of an ending green thread.
//
// C++ thread_local objects with a destructor, and Rust thread_locals that
// need Drop, register it with __cxa_thread_atexit_impl, which glibc keeps in
// a list in libc's TLS. Every green thread has its own TLS (runtime/tcb.h),
// so the list is its own: glibc's __call_tls_dtors runs it, as start_thread
// does for an OS thread, before the thread-specific-data destructors
// (tsd.cc's on_green_exit keeps that order). exit() on a green thread runs
// the calling thread's list, as natively.
#include <dlfcn.h>

#include "os/check.h"
#include "thread/posix_thread.h"

namespace green {

namespace {

using CallTlsDtors = void (*)();

CallTlsDtors find_call_tls_dtors() {
  auto call = reinterpret_cast<CallTlsDtors>(dlsym(RTLD_DEFAULT, "__call_tls_dtors"));
  if (!call) green::fatal("libgreen: glibc's __call_tls_dtors was not found");
  return call;
}

}  // namespace

void run_tls_destructors() {
  static const CallTlsDtors call = find_call_tls_dtors();
  call();
}

}  // namespace green

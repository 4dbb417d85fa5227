// tls_dtors.cc: thread_local destructors per green thread.
//
// C++ thread_local objects with a destructor, and Rust thread_locals that
// need Drop, register it with __cxa_thread_atexit_impl(fn, obj, dso). glibc
// keeps that list per OS thread and runs it newest first when the thread
// ends, and for the calling thread in exit(). The main executable's TLS
// block is per green thread (runtime/tls.cc), so a destructor for an object
// in it belongs to the registering green thread: it runs when that green
// thread ends, with its values in the block, before its thread-specific-data
// destructors (the order of glibc's start_thread: __call_tls_dtors, then
// __nptl_deallocate_tsd).
//
// exit() on a green thread: glibc runs the OS thread's list. The first
// per-green registration on an OS thread therefore also registers one
// trampoline with glibc that runs the list of whichever green thread is
// calling exit(), as natively only the exiting thread's objects are
// destroyed. (Returning from main is exit() on the adopted thread.)
//
// Passed through to glibc: calls off green threads, and objects outside the
// executable's block. A shared library's thread_local is per OS thread, and
// so is its destructor list.
//
// dso: glibc keeps the registering object loaded until the destructor ran;
// the entries kept here all belong to the executable, which is never
// unloaded, so dso is not needed.
#include <cstdlib>

#include "boundary.h"
#include "check.h"
#include "thread_exit.h"

extern "C" void* __dso_handle;

namespace shim {

struct TlsDtor {
  void (*fn)(void*);
  void* obj;
  TlsDtor* next;
};

namespace {

// Whether this OS thread's glibc list holds run_on_exit (per OS thread, like
// that list).
thread_local bool t_exit_armed = false;

void run_on_exit(void*) {
  t_exit_armed = false;
  if (green::Green* g = green::current()) run_tls_destructors(g);
}

void arm_exit() {
  if (t_exit_armed) return;
  t_exit_armed = true;
  REAL(__cxa_thread_atexit_impl)(run_on_exit, nullptr, &__dso_handle);
}

}  // namespace

// Destructors registered while these run are run too, as glibc does.
void run_tls_destructors(green::Green* g) {
  auto t = static_cast<ShimThread*>(green::shim_data(g));
  if (!t) return;
  while (TlsDtor* d = t->tls_dtors) {
    t->tls_dtors = d->next;
    d->fn(d->obj);
    free(d);
  }
}

}  // namespace shim

GREEN_EXPORT int __cxa_thread_atexit_impl(void (*fn)(void*), void* obj, void* dso) {
  green::Green* g = green::current();
  if (!g || !green::tls_holds(obj)) return REAL(__cxa_thread_atexit_impl)(fn, obj, dso);
  auto d = static_cast<shim::TlsDtor*>(malloc(sizeof(shim::TlsDtor)));
  if (!d) green::fatal("libgreen: out of memory registering a thread_local destructor");
  shim::ShimThread* t = shim::shim_thread(g);
  *d = {fn, obj, t->tls_dtors};
  t->tls_dtors = d;
  shim::arm_exit();
  return 0;
}

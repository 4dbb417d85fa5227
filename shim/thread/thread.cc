// thread.cc: pthread_create and the life of a thread: join, detach, exit,
// self. A pthread_t of a green thread is its Green*; a native thread's is
// glibc's and passes straight through (green::green_from_handle tells them
// apart).
//
// Threads stay native when created off a green thread (libuv's pool, a
// native thread) or when their start routine is named in GREEN_NATIVE.
#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "thread/attr_stack.h"
#include "thread/native_threads.h"
#include "thread/cancel.h"
#include "boundary.h"
#include "io/deadline.h"
#include "config/config.h"
#include "green.h"
#include "signal/masks.h"
#include "thread/posix_thread.h"

namespace {

pthread_t handle_of(green::Green* g) { return reinterpret_cast<pthread_t>(g); }
green::Green* green_of(pthread_t t) { return green::green_from_handle(reinterpret_cast<void*>(t)); }

bool named_native(void* (*fn)(void*)) {
  const auto& names = green::config().native;
  if (names.empty()) return false;
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(fn), &info) || !info.dli_sname) return false;
  for (const auto& n : names)
    if (n == info.dli_sname) return true;
  return false;
}

struct NativeStart {
  void* (*fn)(void*);
  void* arg;
};

// A native thread counts as a possible waker for the deadlock check.
void* native_trampoline(void* p) {
  NativeStart s = *static_cast<NativeStart*>(p);
  delete static_cast<NativeStart*>(p);
  green::native_waker_enter();
  void* r = s.fn(s.arg);
  green::native_waker_leave();
  return r;
}

int create_native(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  auto s = new (std::nothrow) NativeStart{fn, arg};
  if (!s) return EAGAIN;
  int rc = REAL(pthread_create)(t, attr, native_trampoline, s);
  if (rc == 0) green::native_thread_created(*t);
  if (rc) delete s;
  return rc;
}

// A stack size the program chose wins; otherwise GREEN_STACK_SIZE applies.
// A stack the program supplied (pthread_attr_setstack) is not used: the
// green thread gets one of that size from libgreen (README, limitations).
green::SpawnAttr spawn_attr(const pthread_attr_t* attr) {
  green::SpawnAttr sa;
  if (!attr) return sa;
  int detach = PTHREAD_CREATE_JOINABLE;
  pthread_attr_getdetachstate(attr, &detach);
  sa.detached = detach == PTHREAD_CREATE_DETACHED;
  sa.stack_size = green::chosen_stack_size(attr);
  pthread_attr_getguardsize(attr, &sa.guard_size);
  return sa;
}

// The name and the signal mask are the creator's, as in the kernel; set
// before the new thread is published to its hub.
void inherit_from_creator(green::Green* g, void* creator) {
  auto c = static_cast<green::Green*>(creator);
  green::set_green_name(g, green::green_name(c));
  green::set_green_mask(g, green::green_mask(c));
}

}  // namespace

// glibc clears __libc_single_threaded in its pthread_create and never sets
// it again; libstdc++ and others skip atomics and synchronisation while it is
// set (std::stop_token's callback hand-off, shared_ptr counts). A green
// thread is a thread: the first spawn clears it as natively.
// glibc 2.32+ only; before, there is no such flag to clear.
static void note_multi_threaded() {
  static auto flag = static_cast<char*>(real::optional_sym("__libc_single_threaded"));
  if (flag) *flag = 0;
}

GREEN_EXPORT int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  if (green::config().native.size() && named_native(fn)) {
    green::debug_native_thread("its start routine is named in GREEN_NATIVE");
    return create_native(t, attr, fn, arg);
  }
  if (!green::intercepting()) {
    int rc = REAL(pthread_create)(t, attr, fn, arg);
    if (rc == 0) green::native_thread_created(*t);
    return rc;
  }
  green::Green* g = nullptr;
  green::SpawnAttr sa = spawn_attr(attr);
  sa.prepare = inherit_from_creator;
  sa.prepare_arg = green::current();
  int rc = green::spawn(fn, arg, sa, &g);
  if (rc) return -rc;
  note_multi_threaded();
  *t = handle_of(g);
  return 0;
}

// A native thread joining a green one cannot park: it polls.
static int join_from_native(green::Green* g, void** ret, green::Nanos deadline) {
  for (;;) {
    int rc = green::try_join(g, ret);
    if (rc != -EBUSY) return -rc;
    if (green::now() >= deadline) return ETIMEDOUT;
    timespec ts{0, 1000000};
    REAL(nanosleep)(&ts, nullptr);
  }
}

static int join_until(pthread_t t, void** ret, green::Nanos deadline) {
  green::Green* g = green_of(t);
  if (!green::current()) return join_from_native(g, ret, deadline);
  for (;;) {
    int rc = green::join_until(g, ret, deadline);
    if (rc != -EINTR) return -rc;
    green::cancel_point();  // a pthread_cancel, or a signal: join never fails with EINTR
  }
}

// A green thread joining a native thread polls with a backing-off sleep:
// the pool cannot wait for it, because the threads joined at exit are the
// pool's own (libuv's destructor joins them from the last green thread).
static int join_native_from_green(pthread_t t, void** ret) {
  green::Nanos pause = 50000;
  for (;;) {
    int rc = REAL(pthread_tryjoin_np)(t, ret);
    if (rc != EBUSY) return rc;
    green::sleep_until(green::now() + pause);
    pause = std::min<green::Nanos>(pause * 2, 10000000);
  }
}

// Joining a native thread: a fork child's handle of its parent's thread
// names nothing (native_threads.h).
static int join_native(pthread_t t, void** ret) {
  int rc = green::intercepting() && !pthread_equal(t, REAL(pthread_self)()) ? join_native_from_green(t, ret)
                                                                            : REAL(pthread_join)(t, ret);
  if (rc == 0) green::native_thread_joined(t);
  return rc;
}

GREEN_EXPORT int pthread_join(pthread_t t, void** ret) {
  green::CancelPoint cp;
  if (green::native_thread_gone(t)) return 0;
  if (!green_of(t)) return join_native(t, ret);
  return join_until(t, ret, green::kForever);
}

GREEN_EXPORT int pthread_tryjoin_np(pthread_t t, void** ret) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_tryjoin_np)(t, ret);
  if (g == green::current()) return EDEADLK;
  return -green::try_join(g, ret);
}

GREEN_EXPORT int pthread_clockjoin_np(pthread_t t, void** ret, clockid_t clock, const timespec* abstime) {
  green::CancelPoint cp;
  if (!green_of(t)) return REAL(pthread_clockjoin_np)(t, ret, clock, abstime);
  green::Nanos deadline = green::kForever;
  if (abstime) {
    int rc = green::deadline_from_abstime(clock, abstime, &deadline);
    if (rc) return -rc;
  }
  return join_until(t, ret, deadline);
}

GREEN_EXPORT int pthread_timedjoin_np(pthread_t t, void** ret, const timespec* abstime) {
  if (!green_of(t)) return REAL(pthread_timedjoin_np)(t, ret, abstime);
  return pthread_clockjoin_np(t, ret, CLOCK_REALTIME, abstime);
}

GREEN_EXPORT int pthread_detach(pthread_t t) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_detach)(t);
  return -green::detach(g);
}

GREEN_EXPORT void pthread_exit(void* value) {
  if (!green::current()) {
    REAL(pthread_exit)(value);
    __builtin_unreachable();
  }
  green::green_thread_exit(value);
}

GREEN_EXPORT pthread_t pthread_self(void) {
  green::Green* g = green::current();
  return g ? handle_of(g) : REAL(pthread_self)();
}

GREEN_EXPORT int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

// thread_attr.cc: calls that name a thread by pthread_t and describe or
// steer it. For a green thread they answer about the green thread where the
// answer is its own (stack, name) and act on its hub's OS thread otherwise
// (scheduling, affinity, CPU clock: a green thread has no kernel thread).
#include <cstring>

#include "boundary.h"
#include "thread/attr_stack.h"
#include "green.h"
#include "signal/signal_delivery.h"

namespace {

green::Green* green_of(pthread_t t) { return green::green_from_handle(reinterpret_cast<void*>(t)); }
pthread_t os_thread_of(green::Green* g) { return static_cast<pthread_t>(green::hub_os_thread(g)); }

}  // namespace

GREEN_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t* attr) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_getattr_np)(t, attr);
  void* lo = nullptr;
  size_t size = 0, guard = 0;
  green::green_stack(g, &lo, &size, &guard);
  if (!lo) return REAL(pthread_getattr_np)(os_thread_of(g), attr);  // an adopted OS thread
  int rc = pthread_attr_init(attr);
  if (rc) return rc;
  pthread_attr_setstack(attr, lo, size);
  pthread_attr_setguardsize(attr, guard);
  pthread_attr_setdetachstate(attr, green::green_detached(g) ? PTHREAD_CREATE_DETACHED
                                                             : PTHREAD_CREATE_JOINABLE);
  return 0;
}

GREEN_EXPORT int pthread_setname_np(pthread_t t, const char* name) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_setname_np)(t, name);
  if (strlen(name) > 15) return ERANGE;
  green::set_green_name(g, name);
  return 0;
}

GREEN_EXPORT int pthread_getname_np(pthread_t t, char* buf, size_t len) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_getname_np)(t, buf, len);
  const char* name = green::green_name(g);
  if (len < 16 || strlen(name) + 1 > len) return ERANGE;
  strcpy(buf, name);
  return 0;
}

GREEN_EXPORT int pthread_kill(pthread_t t, int sig) {
  green::Green* g = green_of(t);
  if (!g) return REAL(pthread_kill)(t, sig);
  if (sig < 0 || sig >= NSIG) return EINVAL;
  if (green::green_finished(g)) return ESRCH;
  if (sig == 0) return 0;
  return green::signal_kill_green(g, sig);
}

GREEN_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* p) {
  green::Green* g = green_of(t);
  return REAL(pthread_setschedparam)(g ? os_thread_of(g) : t, policy, p);
}

GREEN_EXPORT int pthread_getschedparam(pthread_t t, int* policy, struct sched_param* p) {
  green::Green* g = green_of(t);
  return REAL(pthread_getschedparam)(g ? os_thread_of(g) : t, policy, p);
}

GREEN_EXPORT int pthread_setaffinity_np(pthread_t t, size_t n, const cpu_set_t* set) {
  green::Green* g = green_of(t);
  return REAL(pthread_setaffinity_np)(g ? os_thread_of(g) : t, n, set);
}

GREEN_EXPORT int pthread_getaffinity_np(pthread_t t, size_t n, cpu_set_t* set) {
  green::Green* g = green_of(t);
  return REAL(pthread_getaffinity_np)(g ? os_thread_of(g) : t, n, set);
}

GREEN_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t* clock) {
  green::Green* g = green_of(t);
  return REAL(pthread_getcpuclockid)(g ? os_thread_of(g) : t, clock);
}

// The stack size a program chose is remembered per attribute object
// (runtime/thread/attr_stack.h).
GREEN_EXPORT int pthread_attr_init(pthread_attr_t* attr) {
  green::attr_stack_forget(attr);
  return REAL(pthread_attr_init)(attr);
}

GREEN_EXPORT int pthread_attr_destroy(pthread_attr_t* attr) {
  green::attr_stack_forget(attr);
  return REAL(pthread_attr_destroy)(attr);
}

GREEN_EXPORT int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size) {
  int rc = REAL(pthread_attr_setstacksize)(attr, size);
  if (rc == 0) green::attr_stack_chosen(attr, size);
  return rc;
}

GREEN_EXPORT int pthread_attr_setstack(pthread_attr_t* attr, void* addr, size_t size) {
  int rc = REAL(pthread_attr_setstack)(attr, addr, size);
  if (rc == 0) green::attr_stack_chosen(attr, size);
  return rc;
}

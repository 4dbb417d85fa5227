// green.h: the runtime's public C++ API (what shim/ and the tests call).
//
// Model: every OS thread that runs green threads has one hub (hub.h), a libuv
// loop in its own context. A green thread runs until it parks; the hub then
// runs the next ready one, or waits in the loop for an fd, a timer, the
// thread pool or a wake-up from another OS thread.
//
// Errors come back as negative errno values; nothing here touches errno.
//
// Threading: unless a function says otherwise it must be called on a green
// thread (current() != nullptr). ready() and wake() may be called from any
// OS thread.
#pragma once

#include <cstddef>
#include <cerrno>
#include <cstdint>

namespace green {

enum class WaitReason : uint8_t {
#define X(name, text, external) name,
#include "sched/wait_reason.def"
#undef X
};
constexpr int kWaitReasons = 0
#define X(name, text, external) +1
#include "sched/wait_reason.def"
#undef X
    ;
const char* wait_reason_text(WaitReason why);
bool wait_reason_external(WaitReason why);

// Nanoseconds on CLOCK_MONOTONIC.
using Nanos = int64_t;
constexpr Nanos kForever = INT64_MAX;
Nanos now();

struct Green;

struct SpawnAttr {
  size_t stack_size = 0;  // 0 = GREEN_STACK_SIZE
  size_t guard_size = 0;  // 0 = one page
  bool detached = false;
  int hub = -1;           // -1 = the caller's hub (or round-robin with GREEN_HUBS > 1)
  // Runs on the spawning thread before the new green thread is published to
  // any hub (its name, its signal mask): nothing else touches it then.
  void (*prepare)(Green* g, void* arg) = nullptr;
  void* prepare_arg = nullptr;
};

// The running green thread, or nullptr on a native thread and on the hub.
Green* current();

// Starts the runtime (libgreen.so's constructor): settings, the real libc
// functions, the calling thread adopted, the other hubs and the watchdog.
// Once, on the first thread, before any other call here.
void start();

// Whether green threads are on: start() ran and found every fact it needs
// (tls_layout.h). False before start() and for good when glibc lacks one:
// then the shim must change nothing, not even file status flags (a listener
// left non-blocking for native threads changes accept's errno, timeouts
// and EINTR). Any thread, async-signal-safe.
bool green_threads_on();

// Makes the calling OS thread a hub with the caller as its first green
// thread, if it is not one already. Idempotent. Safe on any OS thread.
void adopt_current_thread();

int spawn(void* (*fn)(void*), void* arg, const SpawnAttr& attr, Green** out);
int join(Green* g, void** result);      // parks until g ends; -EINVAL, -EDEADLK
int join_until(Green* g, void** result, Nanos deadline);  // ... or -ETIMEDOUT
// (join and join_until also end with -EINTR when their park is interrupted:
// a signal or pthread_cancel; g is then still joinable.)
int try_join(Green* g, void** result);  // -EBUSY while g runs
int detach(Green* g);                   // -EINVAL when already detached
[[noreturn]] void exit_current(void* result);
void yield();

// The Green a pthread_t-sized handle names, or nullptr for any other value
// (a native pthread_t points at glibc's struct pthread, whose first word is
// a pointer, never the magic).
Green* green_from_handle(const void* handle);
// Every green thread's pthread-emulation data (runtime/thread's
// PosixThread; opaque to the scheduler).
void*& posix_data(Green* g);
// The OS thread running g's hub.
unsigned long hub_os_thread(const Green* g);
// The index of g's home hub (SpawnAttr::hub), and whether that hub is the
// caller's.
int home_hub_index(const Green* g);
bool on_this_hub(const Green* g);
bool green_detached(const Green* g);
bool green_finished(const Green* g);

uint64_t green_id(const Green* g);
const char* green_name(const Green* g);
void set_green_name(Green* g, const char* name);  // truncated to 15 bytes
// {nullptr,0,0} for an adopted thread
void green_stack(const Green* g, void** lo, size_t* size, size_t* guard = nullptr);

// Parks the calling green thread. Every park is paired with exactly one
// wake(g, seq, result) (the primitives that park guarantee it); park returns
// that result. seq is park_seq(current()) read before parking: a wake whose
// seq no longer matches is stale and ignored.
int park(WaitReason why);
uint64_t park_seq(const Green* g);
// Wakes g's park number seq with result. Any OS thread; a wake for a green
// thread of another hub goes through that hub's inbox.
void wake(Green* g, uint64_t seq, int result);

// Parks until a wake, or until deadline (kForever: none), when the park
// ends with timeout_result. interruptible: a signal or pthread_cancel may
// end it with -EINTR (interrupt()). Every timed wait is made of this.
int park_until(WaitReason why, Nanos deadline, bool interruptible, int timeout_result = -ETIMEDOUT);

// Sleeps until deadline. 0, or -EINTR when interrupted.
int sleep_until(Nanos deadline);

// Waits until fd is ready for events (POLLIN/POLLOUT bits) or deadline.
// Returns the ready poll bits (> 0), -ETIMEDOUT, -EINTR, or -EBADF when the
// fd cannot be polled.
int wait_fd(int fd, int events, Nanos deadline);

// Runs fn(arg) on libuv's thread pool and parks until it returns. Use it for
// calls that cannot be made non-blocking.
void offload(void (*fn)(void*), void* arg);

// Parks until a signal interrupts (-EINTR) or deadline (-ETIMEDOUT): pause,
// sigsuspend.
int wait_signal(Nanos deadline);

// Calls fn(g, arg) for every live green thread of the caller's hub.
void for_each_green_here(void (*fn)(Green* g, void* arg), void* arg);

// In a forked child, on the thread that called fork (an atfork child
// handler): the caller's hub carries on with the caller as its only green
// thread; the other green threads and hubs are gone (fork.cc). Any thread.
void after_fork_child();

// Native threads that may call wake() (GREEN_NATIVE threads, tests):
// while any exist, a hub with only internal waits is not deadlocked. Any thread.
void native_waker_enter();
void native_waker_leave();

// Interrupts g's current park with -EINTR, if the park is interruptible.
// Hub thread of g only.
void interrupt(Green* g);

// GREEN_DEBUG=1's lines for the shim (sched/debug_log.h): a call passed
// through that held its OS thread 1 ms or more (begin returns 0 when
// GREEN_DEBUG is off or not on a green thread; end then does nothing), a
// thread kept native. Any thread.
uint64_t debug_pass_through_begin();
void debug_pass_through_end(uint64_t begin, const char* what);
void debug_native_thread(const char* why);

}  // namespace green

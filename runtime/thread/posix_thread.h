// posix_thread.h: each green thread's pthread state that glibc keeps per OS
// thread, and its end.
//
// PosixThread hangs off a Green (green::posix_data) and is created on first
// use. It holds what glibc keeps per OS thread but programs expect per
// thread: thread-specific data (pthread_key_*). Only the green thread itself
// touches it, so it needs no lock.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <unwind.h>

#include <vector>

#include "green.h"

namespace green {

namespace lot {
struct Waiter;
}

struct PosixThread {
  std::vector<void*> tsd;  // by key; grown to the highest key set
  bool has_tsd = false;
  __pthread_unwind_buf_t* cleanup = nullptr;  // pthread_cleanup_push stack (exit.cc)
  void* exit_value = nullptr;                 // what pthread_exit was given
  _Unwind_Exception unwind_exc;               // the forced unwind of pthread_exit
  sigset_t mask;                              // emulated signal mask (signal/masks.cc)
  bool has_mask = false;
  int mask_hub = -1;                          // the hub counting mask (signal/masks.cc), or -1
  // Cancellation (cancel.cc).
  bool cancel_disabled = false;               // PTHREAD_CANCEL_DISABLE
  bool cancel_async = false;                  // PTHREAD_CANCEL_ASYNCHRONOUS
  bool cancel_pending = false;                // pthread_cancel was called
  bool exiting = false;                       // unwinding: requests are no longer acted on
  int cancel_points = 0;                      // open CancelPoint scopes: their parks are interruptible
  lot::Waiter* lot_waiter = nullptr;          // the parking-lot wait in progress, if any
};

// g's PosixThread, created on first use.
PosixThread* posix_thread(green::Green* g);

// Runs thread-specific-data destructors and frees the PosixThread; the
// runtime calls it on the exiting green thread (green::set_exit_hook).
void on_green_exit(green::Green* g);

// pthread_exit on a green thread: unwinds its stack, running C cleanup
// handlers and C++ destructors, then ends it (exit.cc).
[[noreturn]] void green_thread_exit(void* value);

// pthread_cleanup_push / pop on the running green thread, and the macro's
// call that resumes a forced unwind after a handler ran (exit.cc).
void cleanup_push(__pthread_unwind_buf_t* buf);
void cleanup_pop(__pthread_unwind_buf_t* buf);
[[noreturn]] void cleanup_unwind_next();

// Runs the ending green thread's thread_local destructors, newest first
// (tls_dtors.cc). On that thread.
void run_tls_destructors();

// The destructor loop of pthread_key_create's contract (tsd.cc).
void run_tsd_destructors(PosixThread* t);

// Thread-specific data (tsd.cc): keys are glibc's; a green thread's values
// are its own. Any thread may create or delete keys; get/set on g itself.
void tsd_key_created(pthread_key_t key, void (*destructor)(void*));
void tsd_key_deleted(pthread_key_t key);
void* tsd_get(Green* g, pthread_key_t key);
int tsd_set(Green* g, pthread_key_t key, const void* value);  // 0 or EINVAL

}  // namespace green

// cancel.h: pthread_cancel for green threads (cancel.cc).
//
// Natively a deferred cancellation request is acted on at a cancellation
// point (pthreads(7)): the thread unwinds as pthread_exit(PTHREAD_CANCELED)
// does (a forced unwind: cleanup handlers, C++ destructors, catch(...)
// blocks that rethrow abi::__forced_unwind). glibc keeps the state in the
// OS thread's struct pthread, which the green threads of a hub share, so it
// is kept per green thread in its PosixThread instead (DESIGN rule 5).
//
// A cancellation point under libgreen is an interposer that opens a
// CancelPoint scope. A green thread parked inside one is interrupted by
// pthread_cancel: fd, sleep and signal waits end with -EINTR
// (green::interrupt), parking-lot waits (condvars, semaphores) with
// -ECANCELED (lot::interrupt); the call then returns towards the program,
// and the scope's end acts on the request.
//
// Threading: a green thread's cancellation state is read and written on
// its hub's OS thread only: pthread_cancel from another hub runs the
// request on the target's hub (a short-lived helper green thread). Requests
// from native threads and signal handlers, which cannot do that, go through
// a small lock-free table that the target reads at its next cancellation
// point (they do not interrupt a park: README, limitations).
#pragma once

#include "green.h"

namespace green {

struct PosixThread;
namespace lot {
struct Waiter;
}

// pthread_testcancel for the running green thread: acts on a pending
// request (does not return) when cancelability is enabled; no-op off green
// threads.
void cancel_point();

// The whole extent of a blocking call that is a cancellation point:
//
//   if (!green::intercepting()) return REAL(read)(fd, buf, n);
//   green::CancelPoint cp;
//
// The constructor acts on a pending request; while the scope is open,
// pthread_cancel interrupts the thread's park; the destructor acts on a
// request that came meanwhile (the call's result is dropped, as natively).
// The act unwinds without running the shim's own destructors (libgreen is
// built without exceptions), so nothing in the function that owns a
// resource may be alive at the scope's end except objects declared after cp.
class CancelPoint {
 public:
  CancelPoint();
  ~CancelPoint();
  // Ends the interruptible part early; the destructor still acts.
  // pthread_cond_wait calls it before re-locking its mutex, so the
  // handlers run with the mutex held and the re-lock is never cut short.
  void leave();

  CancelPoint(const CancelPoint&) = delete;
  CancelPoint& operator=(const CancelPoint&) = delete;

 private:
  PosixThread* t_ = nullptr;  // nullptr off green threads
  bool open_ = false;
};

// True when the running green thread would act at its next cancellation
// point. For retry loops inside a CancelPoint that must stop early
// (sem_wait's try operation); reads only, safe under a bucket lock.
bool cancel_requested();

// pthread_cancel(g) from a green or native thread: 0 (also for an ended,
// unjoined g, as glibc >= 2.34).
int cancel_request(Green* g);
// pthread_setcancelstate / setcanceltype on a green thread: 0 or EINVAL.
int cancel_set_state(int state, int* old);
int cancel_set_type(int type, int* old);

// parking_lot.cc: the Waiter the running green thread is about to park on
// (nullptr once the park is over), so pthread_cancel can claim it.
void cancel_note_lot_waiter(lot::Waiter* w);

}  // namespace green

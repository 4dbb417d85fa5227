// cancel.cc: cancellation requests, cancel state and type, and the
// CancelPoint scope (see cancel.h for the model); shim/thread/cancel.cc
// holds the pthread_cancel family's interposers.
//
// A request is acted on (act()) only by the green thread itself, at a
// cancellation point, with cancelability enabled and no unwind under way
// (pthread_exit's or an earlier cancel's: glibc's EXITING bit). Acting is
// pthread_exit(PTHREAD_CANCELED): the forced unwind of exit.cc.
//
// Asynchronous cancelability is recorded and reported, but a green thread
// is cancelled only at cancellation points and when it enables
// cancellation or switches to asynchronous with a request pending (as
// glibc does then): libgreen cannot stop a green thread at an arbitrary
// instruction (README, limitations).
#include "thread/cancel.h"

#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "sync/parking_lot.h"
#include "thread/posix_thread.h"

namespace {


// ---- requests from native threads and signal handlers ----
//
// Slots hold green ids (never reused, so a stale entry can never name a
// later thread). Any thread stores with a CAS (async-signal-safe); the
// target takes its own entry at its next cancellation point. A full table
// drops the request (README, limitations).
constexpr int kRemoteSlots = 64;
std::atomic<uint64_t> g_remote[kRemoteSlots];
std::atomic<int> g_remote_n{0};

void remote_put(uint64_t id) {
  for (auto& slot : g_remote)
    if (slot.load(std::memory_order_relaxed) == id) return;
  for (auto& slot : g_remote) {
    uint64_t expected = 0;
    if (slot.compare_exchange_strong(expected, id, std::memory_order_release)) {
      g_remote_n.fetch_add(1, std::memory_order_release);
      return;
    }
  }
}

bool remote_take(uint64_t id) {
  if (g_remote_n.load(std::memory_order_acquire) == 0) return false;
  for (auto& slot : g_remote) {
    uint64_t expected = id;
    if (slot.compare_exchange_strong(expected, 0, std::memory_order_acquire)) {
      g_remote_n.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

// ---- the running green thread ----

// Its PosixThread if it has a request to look at, else nullptr (without
// creating one: most threads are never cancelled).
green::PosixThread* pending_self() {
  green::Green* g = green::current();
  if (!g) return nullptr;
  auto t = static_cast<green::PosixThread*>(green::posix_data(g));
  if (remote_take(green::green_id(g))) {
    t = green::posix_thread(g);
    t->cancel_pending = true;
  }
  return t && t->cancel_pending ? t : nullptr;
}

bool may_act(const green::PosixThread* t) { return t->cancel_pending && !t->cancel_disabled && !t->exiting; }

[[noreturn]] void act(green::PosixThread* t) {
  t->cancel_points = 0;
  t->lot_waiter = nullptr;
  green::green_thread_exit(PTHREAD_CANCELED);  // sets exiting
}

void test_self() {
  green::PosixThread* t = pending_self();
  if (t && may_act(t)) act(t);
}

// ---- a request, on the target's hub ----

// Ends g's park if it is parked inside a CancelPoint.
void interrupt(green::Green* g, green::PosixThread* t) {
  if (t->cancel_points == 0) return;
  if (t->lot_waiter) green::lot::interrupt(t->lot_waiter, -ECANCELED);
  else green::interrupt(g);
}

// On g's hub's OS thread, from a green thread (g itself included).
void request_here(green::Green* g) {
  if (green::green_finished(g)) return;  // ended, not yet joined: 0, as glibc >= 2.34
  green::PosixThread* t = green::posix_thread(g);
  if (t->exiting) return;
  t->cancel_pending = true;
  if (t->cancel_disabled) return;
  if (g == green::current()) {
    if (t->cancel_async) act(t);
    return;
  }
  interrupt(g, t);
}

void* request_helper(void* g) {
  request_here(static_cast<green::Green*>(g));
  return nullptr;
}

// From a green thread of another hub: a helper green thread on g's hub
// makes the request there. Joining it keeps g alive until then (the caller
// cannot have joined g yet).
void request_remote_hub(green::Green* g) {
  green::SpawnAttr sa;
  sa.hub = home_hub_index(g);
  green::Green* helper = nullptr;
  if (green::spawn(request_helper, g, sa, &helper) == 0) {
    while (green::join(helper, nullptr) == -EINTR) {
    }
    return;
  }
  remote_put(green::green_id(g));  // no memory for a helper: at least not lost
}

}  // namespace

namespace green {

void cancel_point() { test_self(); }

CancelPoint::CancelPoint() {
  if (!green::intercepting()) return;
  test_self();
  t_ = posix_thread(green::current());
  t_->cancel_points++;
  open_ = true;
}

void CancelPoint::leave() {
  if (!open_) return;
  open_ = false;
  t_->cancel_points--;
}

CancelPoint::~CancelPoint() {
  if (!t_) return;
  leave();
  test_self();
}

bool cancel_requested() {
  green::Green* g = green::current();
  auto t = g ? static_cast<PosixThread*>(green::posix_data(g)) : nullptr;
  return t && may_act(t);
}

void cancel_note_lot_waiter(lot::Waiter* w) {
  green::Green* g = green::current();
  auto t = g ? static_cast<PosixThread*>(green::posix_data(g)) : nullptr;
  if (t && (t->cancel_points > 0 || !w)) t->lot_waiter = w;
}

int cancel_request(Green* g) {
  if (!intercepting()) {
    if (!green_finished(g)) remote_put(green_id(g));
    return 0;
  }
  if (on_this_hub(g)) request_here(g);
  else request_remote_hub(g);
  return 0;
}

int cancel_set_state(int state, int* old) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  PosixThread* t = posix_thread(current());
  if (old) *old = t->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  t->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
  if (t->cancel_async && intercepting()) test_self();  // glibc acts here when asynchronous
  return 0;
}

int cancel_set_type(int type, int* old) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) return EINVAL;
  PosixThread* t = posix_thread(current());
  if (old) *old = t->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  t->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
  if (t->cancel_async && intercepting()) test_self();  // as glibc
  return 0;
}

}  // namespace green

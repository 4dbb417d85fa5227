// steal.h: an idle hub takes runnable green threads from a busy one (Go's
// runqsteal in findrunnable), so a hub with more work than another is
// relieved by it and a request queued behind a long one runs on another CPU.
//
// The thief asks; the victim gives. A hub about to wait in its epoll with
// nothing runnable (hub_loop) asks, at most once a millisecond, the other
// hub with the longest run queue (Hub::runq_seen, at least kStealMin), or
// else the busy one (a green thread on its CPU) carrying the most green
// threads, by leaving its address in that hub's steal_req. The victim
// serves it on its own OS thread at its next inbox drain (between batches,
// or at once when it was waiting):
//   - a run queue of kStealMin or more: half of it, oldest first (Go's
//     runqsteal);
//   - else, if the request waited kBusyNs or more for it (the victim was
//     busy all that time while the thief had nothing to do): one of its
//     parked green threads, which then waits on the thief. On this machine
//     the work a busy hub cannot get to is mostly not in its run queue but
//     in its epoll, as readiness it has not yet looked at; moving the
//     threads that wait for it spreads a thread-per-connection server's
//     connections by the load they bring (issue #12's skewed benchmark).
// Each stolen green thread's park is undone in the victim first (its fd
// waiters and watch pins, its timer: StealUndo); it is taken off the
// victim's lists and pushed to the thief's inbox as a newcomer. Giving on
// the victim's own thread keeps every hub's state single-owner (hub.h):
// nothing of a hub is touched by another OS thread.
//
// Only green threads suspended where libgreen knows every piece of hub
// state their park holds can move: a park site opts in by setting
// Green::steal_undo for the length of its park (FdRef::wait and wait_any,
// netpoll.cc; sleeps, sleep.cc), and a green thread that has not run yet
// moves freely. A parked one moves only from a wait that ends early
// harmlessly (StealUndo::early_result: fd waits, whose callers always retry
// the real call and wait again). Never moved: an adopted OS thread's first
// green thread (its block is its M's own descriptor), one whose wait ended
// with EINTR (its handler runs where it was) or with a signal directed at
// it pending, one whose watch is an orphan (the program closed the fd while
// it waited: INV-FD1 keeps the private dup on its hub).
//
#pragma once

#include <cstddef>
#include <cstdint>

namespace green {

struct Hub;
struct Green;

// A park's hub state, undone by the victim before g moves. undo runs on the
// victim's hub thread while g sits in its run queue; false: g cannot move
// (it stays, nothing undone).
struct StealUndo {
  bool (*undo)(Hub* victim, Green* g, StealUndo* self);
  // What the park returns when a steal ends it before its wake (> 0), or 0:
  // it cannot end early, so only a runnable green thread moves.
  int early_result = 0;
};

// A run queue this long is worth a steal.
constexpr size_t kStealMin = 2;
// A request the victim took this long to serve moves a parked green thread.
constexpr int64_t kBusyNs = 1'000'000;
// A hub asks at most this often.
constexpr int64_t kAskEveryNs = 1'000'000;

// Thief side (hub_loop, before it waits): asks the busiest other hub for work.
void steal_ask(Hub* thief);

// Victim side (drain_inbox): gives what a pending request asks for.
void steal_serve(Hub* victim);

// Whether stealing is on: GREEN_STEAL and more than one hub. Set at
// start-up once the hubs run (start.cc), cleared in a fork child (one hub).
extern bool g_steal;

}  // namespace green

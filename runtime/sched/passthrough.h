// passthrough.h: when libc calls must go straight to libc.
//
// The shim interposes libc for the whole process, libgreen's own runtime and
// libuv included. Rule 3 of DESIGN.md: on the hub, on native threads and in
// runtime code that runs on a green thread, every interposer passes through.
// intercepting() is the one test the shim makes; PassThrough marks runtime
// code that calls possibly-interposed functions from a green thread.
//
// Threading: the counter is per OS thread and only touched by its thread
// (signal handlers included: they increment and restore it).
#pragma once

namespace green {

struct Hub;
struct Green;
// Per green thread, like all TLS (tcb.cc): t_hub is seeded with the green
// thread's hub (INV-TCB2); a PassThrough count never spans a switch.
extern thread_local Hub* t_hub __attribute__((tls_model("initial-exec")));
extern thread_local int t_passthrough __attribute__((tls_model("initial-exec")));

class PassThrough {
 public:
  PassThrough() { t_passthrough++; }
  ~PassThrough() { t_passthrough--; }
  PassThrough(const PassThrough&) = delete;
  PassThrough& operator=(const PassThrough&) = delete;
};

// Marks a call libgreen makes inline, on the program's behalf, that may
// block where libgreen cannot see (a system call it passes through): while
// it lasts the monitor may hand the hub off as if the program had made the
// call itself (sched/handoff.cc), so no hub state may be in use across it.
// On its end the green thread takes its hub back if it lost it.
extern thread_local int t_releasable __attribute__((tls_model("initial-exec")));
void releasable_end();

class ReleasableCall {
 public:
  ReleasableCall() { t_releasable++; }
  ~ReleasableCall() { releasable_end(); }
  ReleasableCall(const ReleasableCall&) = delete;
  ReleasableCall& operator=(const ReleasableCall&) = delete;
};

// True when the caller is a green thread that may park: a hub exists on
// this OS thread, a green thread (not the hub) is running, and no runtime
// code or signal handler asked for pass-through.
bool intercepting();

// True in libgreen's and libuv's own code: a hub's context, or a
// PassThrough scope (their fds are theirs to close: os/high_fd.h).
bool runtime_context();

}  // namespace green

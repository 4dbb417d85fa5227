// signal_delivery.h: EINTR for parked green threads.
//
// Natively a handled signal interrupts the blocking call of the thread the
// kernel picked: the call fails with EINTR, unless the handler was installed
// with SA_RESTART and the call is one the kernel restarts. Under libgreen
// the kernel picks an OS thread (a hub); the handler runs there, on whatever
// stack is current; signal_note() then records the signal, and the hub picks
// the green thread the kernel would have picked (signal_target) and
// interrupts its park.
//
// Threading: signal_note is async-signal-safe (atomics and uv_async_send)
// and runs on any hub's OS thread; the rest runs on the hub.
#pragma once

#include <cstdint>

#include "green.h"

namespace green {

struct Hub;

// A handler for sig just ran on this OS thread. restart: SA_RESTART.
// Async-signal-safe.
void signal_note(int sig, bool restart);

// How many handlers have run on this OS thread so far. A caller that
// unblocks signals and then parks (sigsuspend) compares it before and after
// unblocking: a pending signal is delivered during the unblocking call,
// before the park could be interrupted, and must end the wait at once.
uint64_t signals_noted_here();

// Whether the handler that ran last on this OS thread was installed with
// SA_RESTART (false before any): for a native thread emulating a blocking
// call with poll, which the kernel never restarts, to restart as the call
// would have been (shim/io/socket.cc, accept_native).
bool last_signal_restarts();

// The next delivery of sig on g's hub is meant for g (pthread_kill).
// Any thread, before the real pthread_kill.
void signal_direct(Green* g, int sig);

// pthread_kill(g, sig) for a green thread g: directs sig at g and sends it
// to the OS thread running g's hub. Natively each target thread keeps its
// own pending set; green threads of one hub share their OS thread's, where
// a second standard signal sent before the first was taken merges with it
// (the handler would run once for two targets). So a kill towards another
// hub, of a signal with a handler, returns once that OS thread has taken
// it (at most 20 ms: it may block it). 0 or an errno value.
int signal_kill_green(Green* g, int sig);

// The trampoline took a signal sent by tgkill/pthread_kill (SI_TKILL) on
// this OS thread (signal/handlers.cc).
void signal_tkill_taken();

// Whether the running green thread's current park would be restarted by the
// kernel after an SA_RESTART handler (reads without a timeout: yes; poll,
// sleeps, anything with a timeout: no). Reset by every wake.
void set_park_restartable(bool restartable);

// shim/ answers whether g blocks sig (its emulated signal mask).
using BlocksSignal = bool (*)(Green* g, int sig);
void set_blocks_signal(BlocksSignal query);

// Hub setup and the callback that delivers noted signals.
int signal_hub_init(Hub* h);

}  // namespace green

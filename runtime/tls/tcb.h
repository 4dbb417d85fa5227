// tcb.h: a thread control block and static TLS for every green thread
// (internal to runtime/; the design note is at the top of tcb.cc).
//
// Threading: tcb_init() runs once, before the first hub exists; its results
// are read-only afterwards. A Green's block is written by tcb_new() on the
// spawning thread before the Green is published, then by tcb_bind() and
// tcb_free() on its hub's OS thread only.
#pragma once

#include <sys/types.h>

#include "sched/hub.h"

namespace green {

struct Machine;

// Learns glibc's layout and entry points; fatal, naming what is missing,
// when this libc lacks them. Idempotent; first call on an adopted thread.
// nullptr, or what glibc lacks (tls_layout_init): no green thread may start.
const char* tcb_init();

// Carves g's control block and static TLS from the top of its stack
// [stack_lo, stack_hi), every module's TLS initialised from its image as for
// a new OS thread. Sets g->tp and *stack_top, the top of what is left for
// the stack. 0, or -ENOMEM (no memory for the DTV, or the stack is too small:
// then a message says so, once).
int tcb_new(Green* g, char* stack_lo, char* stack_hi, char** stack_top);

// On h's OS thread, before g first runs: the OS thread's descriptor (thread
// id, stack-protector canary, ...) copied into g's, the malloc cache of the
// M running h (machine.h) shared, the runtime's own thread_locals seeded.
void tcb_bind(Hub* h, Green* g);
// The same from the descriptor at real, for M m, with t_hub = h (a spare's
// private block: h is nullptr).
void tcb_bind_block(Green* g, char* real, const Machine* m, Hub* h);

// Machines (sched/machine.h), on m's own OS thread: learns its malloc cache.
void tcb_machine_init(Machine* m);
// Whether the block at tp names M m (its thread id), and makes it so: the
// thread id and the malloc cache and arena, as a resume on another M needs.
bool tcb_bound_to(char* tp, const Machine* m);
void tcb_rebind(char* tp, const Machine* m);
// Seeds t_hub of block tp with h: a green thread moved to hub h (sched/steal.h).
void tcb_set_hub(char* tp, Hub* h);

// First thing on a new green thread: libc's per-thread set-up that
// glibc's start_thread does and an image cannot (the ctype tables).
void tcb_thread_start();

// g has ended (hub side, off g's stack): its DTV and dynamically allocated
// TLS blocks are freed. The block itself goes with the stack.
void tcb_free(Green* g);

// On h's OS thread when it becomes a hub: h->tp is the OS thread's own
// thread pointer; an adopted thread g (or nullptr) keeps running on it.
void tcb_adopt(Hub* h, Green* g);

// In a forked child, on the thread that called fork (g: the surviving green
// thread, or nullptr): the OS thread's descriptor is glibc's again.
void tcb_after_fork(Hub* h, Green* g);

}  // namespace green

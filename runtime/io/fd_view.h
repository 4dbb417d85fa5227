// fd_view.h: the program's view of a description, cached (fd_view.cc,
// fd_state.h INV-DESC). Any thread; each reads the fd state the caller read
// (once per call) and asks the kernel only what is not cached yet.
#pragma once

#include "green.h"
#include "io/fd_state.h"

namespace green {

// True when the program put fd in non-blocking mode (its view).
bool user_nonblocking(const FdState& st);
// The SO_RCVTIMEO (events has POLLIN) or SO_SNDTIMEO deadline, or kForever.
Nanos socket_deadline(const FdState& st, int events);
// After a raw syscall(nr, args...) returned r: keeps the fd table right when
// it changed a description (F_SETFL, FIONBIO, a socket timeout) or closed a
// number, as the libc wrappers do.
void note_raw_syscall(long nr, const long* args, long r);
// After a successful setsockopt: a changed SO_RCVTIMEO/SO_SNDTIMEO
// invalidates the cached timeouts (INV-DESC). Any thread.
void note_setsockopt(int level, int opt);

}  // namespace green

// fd_view.h: the program's view of a description, cached (fd_view.cc,
// fd_table.h INV-DESC).
#pragma once

#include "green.h"

namespace green {

// True when the program put fd in non-blocking mode (its view).
bool user_nonblocking(int fd);
// The SO_RCVTIMEO (events has POLLIN) or SO_SNDTIMEO deadline, or kForever.
green::Nanos socket_deadline(int fd, int events);
// After a raw syscall(nr, args...) returned r: keeps the fd table right when
// it changed a description (F_SETFL, FIONBIO, a socket timeout) or closed a
// number, as the libc wrappers do.
void note_raw_syscall(long nr, const long* args, long r);
// After a successful setsockopt: a changed SO_RCVTIMEO/SO_SNDTIMEO
// invalidates the cached timeouts (INV-DESC). Any thread.
void note_setsockopt(int level, int opt);

}  // namespace green

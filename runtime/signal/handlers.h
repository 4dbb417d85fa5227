// handlers.h: the program's signal handlers behind libgreen's trampoline
// (handlers.cc). Any thread; the trampoline is async-signal-safe.
#pragma once

#include <signal.h>

namespace green {

// Not SIGKILL or SIGSTOP, and in range.
bool signal_catchable(int sig);
// The program installed a handler for sig (a function, not SIG_DFL/SIG_IGN).
// Start-up (signal_state_init): the probe's handler passes a SIGRTMAX that
// was not a probe to the program's disposition through this layer.
void signal_handlers_init();

bool signal_has_handler(int sig);
// sigaction(2) as the program sees it: act is installed behind the
// trampoline, old is the program's own previous action. 0 or -errno
// (-EFAULT for a bad pointer, the kernel's error otherwise).
int signal_install(int sig, const struct sigaction* act, struct sigaction* old);

}  // namespace green

// masks.h: each green thread's signal mask (masks.cc).
#pragma once

#include <signal.h>

#include "green.h"

namespace green {

// pthread_sigmask for green thread g: 0 or -errno.
int green_sigmask(green::Green* g, int how, const sigset_t* set, sigset_t* old);
// g's mask (its creator's at pthread_create, as natively).
sigset_t green_mask(green::Green* g);
void set_green_mask(green::Green* g, const sigset_t& mask);
// Wires the runtime's target choice to these masks (start-up).
void signal_state_init();

}  // namespace green

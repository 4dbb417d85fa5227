// masks.h: each green thread's signal mask, and each hub's real mask
// following them (masks.cc, INV-SIG1). A green thread's mask is touched on
// its hub's OS thread only.
#pragma once

#include <signal.h>

#include "green.h"

namespace green {

// pthread_sigmask for green thread g: 0 or -errno.
int green_sigmask(green::Green* g, int how, const sigset_t* set, sigset_t* old);
// g's mask (its creator's at pthread_create, as natively).
sigset_t green_mask(green::Green* g);
void set_green_mask(green::Green* g, const sigset_t& mask);
// g ends (thread/tsd.cc's on_green_exit): its hub stops counting its mask.
void signal_green_left(Green* g);
// In a forked child: keep (or nobody) is the only green thread counted.
void signal_masks_after_fork(Green* keep);
// Wires the runtime's target choice and hub accounting to these masks (start-up).
void signal_state_init();

}  // namespace green

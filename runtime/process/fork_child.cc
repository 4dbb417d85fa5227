// fork_child.cc: a forked child (the atfork child handler, and vfork's
// child) goes on with the calling green thread alone.
#include "process/fork_child.h"

#include <signal.h>

#include "glibc/real.h"
#include "green.h"
#include "signal/masks.h"
#include "sync/parking_lot.h"
#include "thread/native_threads.h"

namespace green {

// Atfork child handler and the vfork child: the caller's hub goes on alone.
void process_after_fork_child() {
  after_fork_child();
  native_threads_after_fork();
  lot::forget_all();
  signal_masks_after_fork(current());  // INV-SIG1 with one green thread left
}

}  // namespace green

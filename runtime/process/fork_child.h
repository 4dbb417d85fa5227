// fork_child.h: the runtime in a forked child (fork_child.cc; the
// scheduler's part is sched/fork.cc). Called on the thread that forked,
// single-threaded, before any handler of the program runs.
#pragma once

namespace green {

void process_after_fork_child();

}  // namespace green

// init.cc: start-up. The constructor loads GREEN_* settings (rejecting bad
// ones), resolves the real libc functions, and adopts the main thread as
// green thread 1 of hub 0; GREEN_HUBS > 1 starts the other hubs. Before it
// runs, every interposer passes through (no hub exists yet).
#include "config.h"
#include "green.h"
#include "hub.h"
#include "real.h"
#include "signal_state.h"
#include "monitor.h"
#include "thread_exit.h"

namespace {

__attribute__((constructor(101))) void green_init() {
  green::config_load();
  real::resolve_all();
  green::set_exit_hook(shim::on_green_exit);
  shim::signal_state_init();
  green::adopt_current_thread();
  for (int i = 1; i < green::config().hubs; i++) green::start_hub_thread(i);
  green::monitor_start();
}

}  // namespace

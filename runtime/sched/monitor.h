// monitor.h: GREEN_MONITOR_MS, the report of a hub stuck in one green thread.
//
// Under M:1 scheduling a green thread that never parks (a CPU-bound loop, or
// a blocking call libgreen does not intercept) stalls every other green
// thread of its hub. With GREEN_MONITOR_MS=N a native watchdog thread checks
// every hub each N/2 ms; when one has run the same green thread for N ms it
// prints which one, for how long, and that thread's backtrace, once per stall.
#pragma once

namespace green {

// Starts the watchdog if GREEN_MONITOR_MS > 0. Called once at start-up, on
// the first hub's OS thread, before any green thread runs.
void monitor_start();

}  // namespace green

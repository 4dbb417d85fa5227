// monitor.h: the monitor (Go's sysmon): hand-off of a hub stuck in one
// green thread (GREEN_HANDOFF_MS) and the report of it (GREEN_MONITOR_MS).
//
// A green thread that never parks (a CPU-bound loop, or a blocking call
// libgreen does not intercept) would stall every other green thread of its
// hub. A native thread checks every hub each min(threshold)/2 ms. When one
// has run the same green thread for GREEN_HANDOFF_MS (default 10) it asks
// that thread to let the hub go (machine.h, handoff.cc) and gives the hub to
// a spare OS thread. With GREEN_MONITOR_MS=N it also prints, once per
// stall of N ms, which green thread, for how long, whether its hub was
// handed off, and that thread's backtrace.
#pragma once

namespace green {

// The watchdog (GREEN_MONITOR_MS unset): a hub that waits this long for one
// green thread (hand-off could not detach it: it is inside libgreen, or
// hand-off is off) is reported with a backtrace, at most once every
// kWatchdogQuietS seconds. A healthy server's hubs run a green thread for
// at most a few ms at a time, also under load (README "Diagnosing a daemon").
constexpr int kWatchdogMs = 100;
constexpr int kWatchdogQuietS = 10;

// Starts the monitor unless hand-off, GREEN_MONITOR_MS and the watchdog are off. Called once at start-up,
// on the first hub's OS thread, before any green thread runs.
void monitor_start();

}  // namespace green

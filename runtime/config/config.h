// config.h: the GREEN_* settings, parsed strictly in one place.
//
// config_load() reads the environment once, at start-up, before any green
// thread exists; afterwards config() is read-only and may be read from any
// thread. An invalid value is rejected with a message naming the variable,
// the value and what is allowed (README "Configuration" has the table).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace green {

struct Config {
  size_t stack_size = 256 * 1024;   // GREEN_STACK_SIZE, usable bytes, page-rounded
  int hubs = 1;                     // GREEN_HUBS (default "auto": auto_hubs())
  // GREEN_MONITOR_MS: 0 = off; N = report every green thread that runs N ms
  // without parking; unset = the watchdog (kWatchdogMs, monitor.h): report,
  // rate-limited, a hub that waited that long for one green thread.
  int monitor_ms = 0;
  bool watchdog = true;
  int handoff_ms = 10;              // GREEN_HANDOFF_MS, 0 = off (sched/machine.h)
  std::vector<std::string> native;  // GREEN_NATIVE: start routines kept native
  bool inherit = true;              // GREEN_INHERIT: children keep LD_PRELOAD
  bool stats = false;               // GREEN_STATS: serve the stats socket (stats/stats.h)
  bool steal = false;               // GREEN_STEAL (off by default: README): idle hubs take runnable and fd-waiting green threads (sched/steal.h)
  bool debug = false;               // GREEN_DEBUG: log parks, offloads, pass-throughs (sched/debug_log.h)
};

// Parses GREEN_* from getenv. Returns "" on success, else the message.
std::string config_parse(Config* out);

// Loads the process configuration (once; later calls do nothing); on an invalid value prints the message
// and exits with status 2.
void config_load();

const Config& config();

// The number of CPUs this process may use, from 1 to 256: its affinity
// mask, capped by its cgroup's CPU bandwidth limit.
int auto_hubs();
// That limit (ceil(quota / period)), or 0 when there is none: the cgroup
// named in proc_cgroup (/proc/self/cgroup) under fs_root (/sys/fs/cgroup):
// v2's cpu.max, the least up the tree, or v1's cpu.cfs_quota_us.
int cgroup_cpu_limit(const char* fs_root, const char* proc_cgroup);

}  // namespace green

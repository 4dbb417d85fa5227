// stats.h: live stats (GREEN_STATS=1): what the process's green threads and
// hubs are doing, as JSON, for tools/green-stats.
//
// stats_socket.cc serves a Unix socket from one native OS thread of
// libgreen's (every signal blocked). stats_json() runs on that thread: it
// reads the process-wide counts and each hub's atomics itself, and asks each
// hub for the rest (its run queue, its green threads) with a HubReport, which
// the hub fills on its own OS thread (hub_report.cc) and the stats thread
// waits for, briefly: a hub that does not answer is reported as busy.
#pragma once

#include <atomic>
#include <string>

namespace green {

struct Hub;

// One request to one hub. Owned by the stats thread; the hub owns it from
// taking it out of Hub::report_req until it sets done.
struct HubReport {
  bool threads = false;      // list every green thread of the hub
  std::string json;          // the hub's fields, each preceded by a comma
  std::atomic<int> done{0};
};

// Hub thread (drain_inbox): serves a pending HubReport, if any.
void hub_serve_report(Hub* h);

// The whole report: one JSON object. threads: with the list of green threads.
std::string stats_json(bool threads);

// Start-up (start.cc), once the hubs exist: serves the socket when
// GREEN_STATS=1, unless the process runs in secure-execution mode.
void stats_start();

}  // namespace green

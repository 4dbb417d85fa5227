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

// How much a report says: the counts, also every green thread, also each
// one's backtrace (the hubs resume each suspended green thread for a moment
// to take it: stack_dump.h).
enum class Detail { kCounts, kThreads, kStacks };

// One request to one hub. Owned by the stats thread; the hub owns it from
// taking it out of Hub::report_req until it sets done.
struct HubReport {
  Detail detail = Detail::kCounts;
  std::string json;          // the hub's fields, each preceded by a comma
  std::atomic<int> done{0};
};

// Hub thread (drain_inbox): serves a pending HubReport, if any.
void hub_serve_report(Hub* h);

// The whole report: one JSON object.
std::string stats_json(Detail detail);

// Start-up (start.cc), once the hubs exist: serves the socket when
// GREEN_STATS=1, unless the process runs in secure-execution mode.
void stats_start();

}  // namespace green

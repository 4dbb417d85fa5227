// Catch2 runner for the runtime tests. The test thread is adopted as the
// first green thread of its hub, so every test body runs as a green thread.
// `--child NAME` runs one of the scenarios that must die (child_scenarios.cc)
// instead of the tests: tests re-execute this binary for them.
//
// Reporter "tapcase": one TAP line per test case (Catch2's own TAP reporter
// prints one per assertion), so meson and .ci/run count test cases.
#define CATCH_CONFIG_RUNNER
#include "catch.h"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "green.h"
#include "tls/tcb.h"

int run_child_scenario(const char* name);

namespace {

#if CATCH_VERSION_MAJOR >= 3
#define GREEN_REPORTER_STREAM m_stream
#define GREEN_ASSERTION_ENDED void
#define GREEN_ASSERTION_ENDED_RETURN
#define GREEN_TEST_NAME(stats) (stats).testInfo->name
#else
#define GREEN_REPORTER_STREAM stream
#define GREEN_ASSERTION_ENDED bool
#define GREEN_ASSERTION_ENDED_RETURN true
#define GREEN_TEST_NAME(stats) (stats).testInfo.name
#endif

#if CATCH_VERSION_MAJOR >= 3
class TapCaseReporter : public Catch::StreamingReporterBase {
 public:
  using Base = Catch::StreamingReporterBase;
#else
class TapCaseReporter : public Catch::StreamingReporterBase<TapCaseReporter> {
 public:
  using Base = Catch::StreamingReporterBase<TapCaseReporter>;
#endif
  using Base::Base;
  static std::string getDescription() { return "one TAP test point per test case"; }

  void assertionStarting(const Catch::AssertionInfo&) override {}
  GREEN_ASSERTION_ENDED assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk())
      failures_ << "# " << stats.assertionResult.getSourceInfo() << ": "
                << stats.assertionResult.getExpandedExpression() << "\n";
    return GREEN_ASSERTION_ENDED_RETURN;
  }
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    bool ok = stats.totals.assertions.failed == 0;
    GREEN_REPORTER_STREAM << (ok ? "ok " : "not ok ") << ++n_ << " - " << GREEN_TEST_NAME(stats) << "\n"
           << failures_.str();
    failures_.str("");
    Base::testCaseEnded(stats);
  }
  void testRunEnded(const Catch::TestRunStats& stats) override {
    GREEN_REPORTER_STREAM << "1.." << n_ << "\n";
    Base::testRunEnded(stats);
  }

 private:
  int n_ = 0;
  std::ostringstream failures_;
};

}  // namespace

CATCH_REGISTER_REPORTER("tapcase", TapCaseReporter)

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0) {
    if (strcmp(argv[2], "monitor") == 0) setenv("GREEN_MONITOR_MS", "100", 1);  // read at adoption
    green::adopt_current_thread();
    return run_child_scenario(argv[2]);
  }
  // A glibc without a fact green threads need (before 2.35: __rseq_offset):
  // libgreen runs programs natively there, and these tests have nothing to run.
  if (const char* missing = green::tcb_init()) {
    printf("1..0 # SKIP this glibc lacks %s\n", missing);
    return 0;
  }
  green::adopt_current_thread();
  return Catch::Session().run(argc, argv);
}

// Catch2 runner for the runtime tests. The test thread is adopted as the
// first green thread of its hub, so every test body runs as a green thread.
// `--child NAME` runs one of the scenarios that must die (child_scenarios.cc)
// instead of the tests: tests re-execute this binary for them.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <catch2/catch_reporter_tap.hpp>

#include <cstring>

#include "green.h"

int run_child_scenario(const char* name);

int main(int argc, char** argv) {
  green::adopt_current_thread();
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return run_child_scenario(argv[2]);
  return Catch::Session().run(argc, argv);
}

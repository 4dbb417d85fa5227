// Loud, clear failures: stack overflow, deadlock, bad settings.
#include "catch.h"

#include <sys/wait.h>

#include <csignal>
#include <sched.h>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "util.h"

TEST_CASE("a guard-page overflow names the thread and the setting, then dies by SIGSEGV",
          "[runtime][stack]") {
  auto [status, err] = test::run_child("overflow");
  INFO(err);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  CHECK(err.find("overflowed its stack of 64 KiB") != std::string::npos);
  CHECK(err.find("GREEN_STACK_SIZE") != std::string::npos);
}

TEST_CASE("parked threads nothing can wake are reported as a deadlock", "[runtime][deadlock]") {
  auto [status, err] = test::run_child("deadlock");
  INFO(err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK(err.find("all green threads are asleep - deadlock!") != std::string::npos);
  CHECK(err.find("[mutex]") != std::string::npos);
  CHECK(err.find("[pthread_join]") != std::string::npos);
}

TEST_CASE("GREEN_MONITOR_MS reports a hub stuck in one green thread, with its backtrace",
          "[runtime][monitor]") {
  auto [status, err] = test::run_child("monitor");
  INFO(err);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(err.find("without parking") != std::string::npos);
  CHECK(err.find("GREEN_MONITOR_MS=100") != std::string::npos);
  CHECK(err.find("runtime_tests(") != std::string::npos);  // a frame of the stuck thread
}

TEST_CASE("invalid GREEN_* settings are rejected naming the variable and what is allowed",
          "[runtime][config]") {
  struct Case {
    const char* var;
    const char* value;
    const char* allowed;
  } cases[] = {
      {"GREEN_STACK_SIZE", "12x", "from 16K to 1G"},
      {"GREEN_STACK_SIZE", "1K", "from 16K to 1G"},
      {"GREEN_HUBS", "0", "from 1 to 256"},
      {"GREEN_HUBS", "257", "or auto"},
      {"GREEN_HUBS", "Auto", "or auto"},
      {"GREEN_MONITOR_MS", "-5", "0 (off)"},
      {"GREEN_INHERIT", "yes", "0 or 1"},
      {"GREEN_INHERIT", "2", "0 or 1"},
      {"GREEN_NATIVE", "a,,b", "comma-separated"},
      {"GREEN_STEAL", "yes", "0 or 1"},
      {"GREEN_DEBUG", "2", "0 or 1"},
      {"GREEN_STATS", "on", "0 or 1"},
  };
  for (const Case& c : cases) {
    SECTION(std::string(c.var) + "=" + c.value) {
      setenv(c.var, c.value, 1);
      green::Config cfg;
      std::string err = green::config_parse(&cfg);
      unsetenv(c.var);
      CHECK(err.find(c.var) != std::string::npos);
      CHECK(err.find(std::string("'") + c.value + "'") != std::string::npos);
      CHECK(err.find(c.allowed) != std::string::npos);
    }
  }
}

TEST_CASE("valid GREEN_* settings are parsed", "[runtime][config]") {
  setenv("GREEN_STACK_SIZE", "64K", 1);
  setenv("GREEN_HUBS", "2", 1);
  setenv("GREEN_NATIVE", "worker_main,log_main", 1);
  green::Config cfg;
  CHECK(green::config_parse(&cfg).empty());
  unsetenv("GREEN_STACK_SIZE");
  unsetenv("GREEN_HUBS");
  unsetenv("GREEN_NATIVE");
  CHECK(cfg.stack_size == 64 * 1024);
  CHECK(cfg.hubs == 2);
  REQUIRE(cfg.native.size() == 2);
  CHECK(cfg.native[1] == "log_main");
}

TEST_CASE("GREEN_HUBS=auto, the default, is the CPUs of the affinity mask",
          "[runtime][config]") {
  green::Config cfg;
  unsetenv("GREEN_HUBS");
  CHECK(green::config_parse(&cfg).empty());
  CHECK(cfg.hubs == green::auto_hubs());

  cpu_set_t saved;
  REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
    if (CPU_ISSET(i, &saved)) first = i;
  REQUIRE(first >= 0);

  setenv("GREEN_HUBS", "auto", 1);
  CHECK(green::config_parse(&cfg).empty());
  CHECK(cfg.hubs == CPU_COUNT(&saved));
  CHECK(cfg.hubs == green::auto_hubs());

  // one CPU in the mask: one hub
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  CHECK(green::config_parse(&cfg).empty());
  int hubs_on_one = cfg.hubs;
  REQUIRE(sched_setaffinity(0, sizeof saved, &saved) == 0);
  unsetenv("GREEN_HUBS");
  CHECK(hubs_on_one == 1);
}

namespace {

// A fake cgroup tree under a temporary directory.
struct FakeCgroup {
  std::string root;
  FakeCgroup() {
    char tmpl[] = "/tmp/green-cgroup-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~FakeCgroup() { std::system(("rm -rf " + root).c_str()); }
  void write(const std::string& rel, const std::string& text) {
    std::string path = root + rel;
    std::system(("mkdir -p \"$(dirname " + path + ")\"").c_str());
    FILE* f = fopen(path.c_str(), "w");
    REQUIRE(f);
    fputs(text.c_str(), f);
    fclose(f);
  }
  int limit() { return green::cgroup_cpu_limit(root.c_str(), (root + "/proc_cgroup").c_str()); }
};

}  // namespace

TEST_CASE("auto's cgroup CPU limit: cgroup v2 cpu.max up the tree, v1 cfs quota", "[runtime][config]") {
  FakeCgroup c;
  SECTION("v2, no limit") {
    c.write("/proc_cgroup", "0::/app/worker\n");
    c.write("/app/worker/cpu.max", "max 100000\n");
    CHECK(c.limit() == 0);
  }
  SECTION("v2, 1.5 CPUs round up to 2") {
    c.write("/proc_cgroup", "0::/app/worker\n");
    c.write("/app/worker/cpu.max", "150000 100000\n");
    CHECK(c.limit() == 2);
  }
  SECTION("v2, a parent's tighter limit wins") {
    c.write("/proc_cgroup", "0::/app/worker\n");
    c.write("/app/worker/cpu.max", "400000 100000\n");
    c.write("/app/cpu.max", "100000 100000\n");
    CHECK(c.limit() == 1);
  }
  SECTION("v1 cpu,cpuacct") {
    c.write("/proc_cgroup", "4:memory:/x\n2:cpu,cpuacct:/docker/abc\n0::/\n");
    c.write("/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000\n");
    c.write("/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    CHECK(c.limit() == 3);
  }
  SECTION("v1, unlimited (-1)") {
    c.write("/proc_cgroup", "1:cpu:/\n0::/\n");
    c.write("/cpu/cpu.cfs_quota_us", "-1\n");
    c.write("/cpu/cpu.cfs_period_us", "100000\n");
    CHECK(c.limit() == 0);
  }
  SECTION("no cgroup file") { CHECK(c.limit() == 0); }
}

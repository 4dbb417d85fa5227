// Scenarios that end the process, run in a child by test::run_child().
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "config/config.h"
#include "sched/monitor.h"
#include "util.h"

namespace {

// Recurses until the green stack's guard page stops it.
#pragma GCC diagnostic ignored "-Winfinite-recursion"
int recurse(volatile char* prev) {
  volatile char frame[512];
  frame[0] = prev ? prev[0] : 1;
  return recurse(frame) + frame[1];
}

void* overflow_main(void*) {
  recurse(nullptr);
  return nullptr;
}

int overflow() {
  green::Green* g = test::spawn_fn(overflow_main, nullptr, 64 * 1024);
  green::join(g, nullptr);
  return 0;
}

void* park_forever(void*) {
  green::park(green::WaitReason::kMutex);
  return nullptr;
}

int deadlock() {
  green::Green* g = test::spawn_fn(park_forever, nullptr);
  green::join(g, nullptr);
  return 0;
}

// A green thread that computes for 600 ms without parking.
void* spin_main(void*) {
  green::Nanos end = green::now() + 600 * 1000000LL;
  while (green::now() < end) {
  }
  return nullptr;
}

int monitor() {
  green::monitor_start();  // main() set GREEN_MONITOR_MS=100 before the runtime read it
  green::Green* g = test::spawn_fn(spin_main, nullptr);
  green::join(g, nullptr);
  return 0;
}

}  // namespace

int run_child_scenario(const char* name) {
  if (strcmp(name, "overflow") == 0) return overflow();
  if (strcmp(name, "deadlock") == 0) return deadlock();
  if (strcmp(name, "monitor") == 0) return monitor();
  return 100;
}

namespace test {

std::pair<int, std::string> run_child(const char* name) {
  int p[2];
  if (pipe(p) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 2);
    close(p[0]);
    close(p[1]);
    execl("/proc/self/exe", "runtime_tests", "--child", name, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(p[1]);
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) err.append(buf, n);
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, err};
}

}  // namespace test

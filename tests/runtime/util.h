// Helpers shared by the runtime tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "green.h"

namespace test {

inline green::Nanos ms(long n) { return green::Nanos(n) * 1000000; }
inline green::Nanos us(long n) { return green::Nanos(n) * 1000; }

inline green::Green* spawn_fn(void* (*fn)(void*), void* arg, size_t stack = 0) {
  green::SpawnAttr attr;
  attr.stack_size = stack;
  green::Green* g = nullptr;
  int rc = green::spawn(fn, arg, attr, &g);
  return rc == 0 ? g : nullptr;
}

// Runs a callable as a green thread; join() waits for it.
template <class F>
struct Task {
  explicit Task(F f) : fn(std::move(f)) { g = spawn_fn(&Task::run, this); }
  static void* run(void* p) {
    static_cast<Task*>(p)->fn();
    return nullptr;
  }
  void join() { green::join(g, nullptr); }
  F fn;
  green::Green* g = nullptr;
};

inline void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Runs this test binary with --child NAME; returns {wait status, stderr}.
std::pair<int, std::string> run_child(const char* name);

}  // namespace test

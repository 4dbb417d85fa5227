// thread_local variables are per green thread (runtime/tcb.cc): values and
// addresses.
#include "catch.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include "tls/thread_pointer.h"
#include "util.h"

namespace {

// .tdata (an initial value to copy) and .tbss (zeros) of this executable.
thread_local int t_counter = 7;
thread_local char t_scratch[256];

bool scratch_is_zero() {
  for (char c : t_scratch)
    if (c) return false;
  return true;
}

void nap() { green::sleep_until(green::now() + test::us(100)); }

// Runs rounds of increments, parking or yielding between them; false when
// another green thread's writes showed through.
bool count_across_switches(int mine, int rounds) {
  if (t_counter != 7 || !scratch_is_zero()) return false;
  t_counter = mine;
  memset(t_scratch, mine & 0x7f, sizeof t_scratch);
  for (int i = 0; i < rounds; i++) {
    if (i % 2) nap();
    else green::yield();
    if (t_counter != mine + i || t_scratch[255] != (mine & 0x7f)) return false;
    t_counter++;
  }
  return true;
}

}  // namespace

TEST_CASE("a thread_local of the executable is per green thread across parks and yields",
          "[runtime][tls]") {
  t_counter = -1;  // the adopted test thread's own value
  constexpr int kThreads = 64;
  std::atomic<int> ok{0};
  std::vector<test::Task<std::function<void()>>*> tasks;
  for (int i = 0; i < kThreads; i++)
    tasks.push_back(new test::Task<std::function<void()>>([&ok, i] {
      if (count_across_switches(1000 * (i + 1), 20)) ok++;
    }));
  nap();
  CHECK(t_counter == -1);
  for (auto t : tasks) {
    t->join();
    delete t;
  }
  CHECK(ok == kThreads);
  CHECK(t_counter == -1);
  t_counter = 7;
}

TEST_CASE("a new green thread sees the initial thread_local values on a reused stack",
          "[runtime][tls]") {
  for (int round = 0; round < 3; round++) {
    bool fresh = false;
    test::Task t([&] {
      fresh = t_counter == 7 && scratch_is_zero();
      t_counter = 99;
      memset(t_scratch, 1, sizeof t_scratch);
    });
    t.join();
    CHECK(fresh);
  }
  CHECK(t_counter == 7);
}

TEST_CASE("a green thread that ends while owning the block leaves the others' values intact",
          "[runtime][tls]") {
  t_counter = 5;
  int seen = 0;
  test::Task a([&] { t_counter = 11; });  // ends as the owner: its values are dropped
  test::Task b([&] {
    nap();
    seen = t_counter;
  });
  a.join();
  b.join();
  CHECK(seen == 7);
  CHECK(t_counter == 5);
  t_counter = 7;
}

TEST_CASE("live green threads have distinct TLS addresses, errno and runtime hub", "[runtime][tls]") {
  constexpr int kN = 4;
  const void* counter_at[kN] = {};
  const void* errno_at[kN] = {};
  bool kept[kN] = {};
  bool hub_seen[kN] = {};
  auto body = [&](int i) {
      counter_at[i] = &t_counter;
      errno_at[i] = &errno;
      hub_seen[i] = green::current() != nullptr;
      errno = 100 + i;
      nap();
      green::yield();
      kept[i] = errno == 100 + i;
  };
  test::Task a([&] { body(0); });
  test::Task b([&] { body(1); });
  test::Task c([&] { body(2); });
  test::Task d([&] { body(3); });
  a.join();
  b.join();
  c.join();
  d.join();
  for (int i = 0; i < kN; i++) {
    CHECK(kept[i]);
    CHECK(hub_seen[i]);
    for (int j = i + 1; j < kN; j++) {
      CHECK(counter_at[i] != counter_at[j]);
      CHECK(errno_at[i] != errno_at[j]);
    }
  }
}

// Kernels before 5.9 (no FSGSBASE) get the arch_prctl path: run green
// threads through it too.
TEST_CASE("green threads keep their own TLS when the thread pointer moves by system call",
          "[runtime][tls]") {
#if defined(__x86_64__)
  bool saved = green::g_tp_wrfsbase;
  green::g_tp_wrfsbase = false;
  bool ok_a = false, ok_b = false;
  test::Task a([&] { ok_a = count_across_switches(1000, 20); });
  test::Task b([&] { ok_b = count_across_switches(2000, 20); });
  a.join();
  b.join();
  green::g_tp_wrfsbase = saved;
  CHECK(ok_a);
  CHECK(ok_b);
#endif
}

// The parking lot (sync/parking_lot.h): exactly one wake per park when an
// unparker races the waiter's own timeout, the still_blocked check, oldest
// first and the futex bits, interrupt().
#include "catch.h"

#include <atomic>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sync/parking_lot.h"
#include "thread/cancel.h"
#include "thread/posix_thread.h"
#include "util.h"

namespace lot = green::lot;

namespace {

constexpr green::WaitReason kWhy = green::WaitReason::kTest;

bool always_blocked() { return true; }

// Parks the running green thread on addr (no deadline) and stores the
// result; a Task body for the waiters of the tests below.
struct Parker {
  const void* addr;
  uint32_t bits;
  int tag;
  int result = INT_MIN;
  void run() { result = lot::park(addr, bits, tag, green::kForever, kWhy, always_blocked); }
};

// Yields until n waiters with tag are parked on addr (the spawned waiters
// run when this thread yields, and park within that turn).
void await_parked(const void* addr, int tag, int n) {
  for (int i = 0; i < 10000 && lot::count_tag(addr, tag) < n; i++) green::yield();
  REQUIRE(lot::count_tag(addr, tag) == n);
}

// One round per address: the waiter parks on addrs[i] with a deadline a few
// microseconds away while unparkers call unpark(addrs[i]) until they woke it
// or its park returned. A fresh address per round, so a late unpark of round
// i can never pick the waiter of round i + 1.
struct Race {
  explicit Race(int n) : rounds(n), addrs(new int[n]), results(n, INT_MIN) {}
  const int rounds;
  std::unique_ptr<int[]> addrs;
  std::vector<int> results;            // the park's return, per round
  std::atomic<green::Nanos> deadline{0};  // of the round in `parking`
  std::atomic<int> parking{-1};        // the round whose waiter may be parked
  std::atomic<int> returned{-1};       // the last round whose park returned

  // The waiter: round i parks for i % 24 us (0: the deadline has passed at
  // the check, the park returns without parking).
  void wait_all() {
    for (int i = 0; i < rounds; i++) {
      green::Nanos d = green::now() + test::us(i % 24);
      deadline.store(d);
      parking.store(i);
      results[i] = lot::park(&addrs[i], lot::kAnyBits, 0, d, kWhy, always_blocked);
      returned.store(i);
    }
  }

  // An unparker's round i: unparks with result until it woke the waiter or
  // the park returned, then once more (nothing may be left to wake).
  // `idle` runs between fruitless tries. Returns how many unpark woke.
  template <class Idle>
  int unpark_round(int i, int result, Idle idle) {
    const void* a = &addrs[i];
    int woken = 0;
    while (woken == 0 && returned.load() < i) {
      woken += lot::unpark(a, 1, lot::kAnyBits, result);
      if (woken == 0) idle();
    }
    while (returned.load() < i) idle();
    woken += lot::unpark(a, 1, lot::kAnyBits, result);
    return woken;
  }
};

// Checks every round of a race: the park returned one unparker's result or
// -ETIMEDOUT, and the unparkers' counts agree (1 for the winner, 0 else).
void check_race(const Race& r, const std::vector<int>& tags,
                const std::vector<std::vector<int>>& woken) {
  int timeouts = 0, wins = 0, bad = 0, first_bad = -1;
  for (int i = 0; i < r.rounds; i++) {
    int total = 0;
    bool known = r.results[i] == -ETIMEDOUT;
    bool ok = true;
    for (size_t u = 0; u < tags.size(); u++) {
      bool won = r.results[i] == tags[u];
      known = known || won;
      ok = ok && woken[u][i] == (won ? 1 : 0);
      total += woken[u][i];
    }
    ok = ok && known && total <= 1;
    if (r.results[i] == -ETIMEDOUT) timeouts++;
    else wins++;
    if (!ok) {
      bad++;
      if (first_bad < 0) first_bad = i;
    }
  }
  INFO(wins << " rounds won by an unparker, " << timeouts << " by the timeout");
  INFO("first bad round " << first_bad
                          << (first_bad >= 0 ? " result " + std::to_string(r.results[first_bad]) : ""));
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("a park racing its timeout against a native unparker ends exactly once",
          "[runtime][lot]") {
  Race race(4000);
  std::vector<int> woken(race.rounds, 0);
  constexpr int kResult = 101;
  std::thread unparker([&] {
    for (int i = 0; i < race.rounds; i++) {
      while (race.parking.load() < i) {
      }
      woken[i] = race.unpark_round(i, kResult, [] {});
    }
  });
  race.wait_all();
  unparker.join();
  check_race(race, {kResult}, {woken});
}

TEST_CASE("a park racing its timeout against a green unparker ends exactly once",
          "[runtime][lot]") {
  Race race(3000);
  std::vector<int> woken(race.rounds, 0);
  constexpr int kResult = 202;
  test::Task unparker([&] {
    for (int i = 0; i < race.rounds; i++) {
      while (race.parking.load() < i) green::yield();
      // The waiter's timer fires when the hub polls, between turns of the
      // runnable threads: try first somewhere from 12 us before its
      // deadline to 12 us after, so either can come first.
      green::Nanos first_try = race.deadline.load() + test::us((i * 7) % 25 - 12);
      while (green::now() < first_try && race.returned.load() < i) green::yield();
      woken[i] = race.unpark_round(i, kResult, [] { green::yield(); });
    }
  });
  race.wait_all();
  unparker.join();
  check_race(race, {kResult}, {woken});
}

TEST_CASE("a park raced by two native unparkers and its timeout ends exactly once",
          "[runtime][lot]") {
  Race race(3000);
  std::vector<std::vector<int>> woken(2, std::vector<int>(race.rounds, 0));
  std::vector<int> tags{301, 302};
  auto body = [&](int u) {
    for (int i = 0; i < race.rounds; i++) {
      while (race.parking.load() < i) {
      }
      woken[u][i] = race.unpark_round(i, tags[u], [] {});
    }
  };
  std::thread a(body, 0), b(body, 1);
  race.wait_all();
  a.join();
  b.join();
  check_race(race, tags, woken);
}

TEST_CASE("park returns 1 without parking when still_blocked says false", "[runtime][lot]") {
  int word = 0;
  green::Green* me = green::current();
  uint64_t seq = green::park_seq(me);
  int seen = -1;
  int r = lot::park(&word, lot::kAnyBits, 7, green::kForever, kWhy, [&] {
    seen = lot::count_tag(&word, 7);  // enqueued before the check, lock held
    return false;
  });
  CHECK(r == 1);
  CHECK(seen == 1);
  CHECK(green::park_seq(me) == seq);  // no park happened
  CHECK(lot::count_tag(&word, 7) == 0);
  CHECK_FALSE(lot::maybe_waiters(&word));
  CHECK(lot::unpark(&word, 1) == 0);
}

TEST_CASE("park with a passed deadline returns -ETIMEDOUT without parking", "[runtime][lot]") {
  int word = 0;
  green::Green* me = green::current();
  uint64_t seq = green::park_seq(me);
  CHECK(lot::park(&word, lot::kAnyBits, 0, green::now() - 1, kWhy, always_blocked) == -ETIMEDOUT);
  CHECK(green::park_seq(me) == seq);
  CHECK(lot::count_tag(&word, 0) == 0);
  CHECK(lot::unpark(&word, 1) == 0);
}

TEST_CASE("a park with a deadline and no unparker times out after the deadline", "[runtime][lot]") {
  int word = 0;
  green::Nanos start = green::now();
  CHECK(lot::park(&word, lot::kAnyBits, 0, start + test::ms(20), kWhy, always_blocked) ==
        -ETIMEDOUT);
  green::Nanos took = green::now() - start;
  CHECK(took >= test::ms(20));
  CHECK(took < test::ms(5000));
  CHECK(lot::unpark(&word, 1) == 0);
}

TEST_CASE("unpark picks the oldest waiter whose bits intersect", "[runtime][lot]") {
  int word = 0;
  // Waiter i has tag i; bits 01, 10, 01, 10.
  Parker p[4] = {{&word, 1, 0}, {&word, 2, 1}, {&word, 1, 2}, {&word, 2, 3}};
  test::Task t0([&] { p[0].run(); });
  test::Task t1([&] { p[1].run(); });
  test::Task t2([&] { p[2].run(); });
  test::Task t3([&] { p[3].run(); });
  for (int i = 0; i < 4; i++) await_parked(&word, i, 1);
  CHECK(lot::maybe_waiters(&word));

  CHECK(lot::unpark(&word, 1, 2, 10) == 1);  // bits 10: the oldest such is 1
  CHECK(lot::count_tag(&word, 1) == 0);
  CHECK(lot::count_tag(&word, 0) == 1);
  CHECK(lot::count_tag(&word, 3) == 1);

  CHECK(lot::unpark(&word, 1, lot::kAnyBits, 11) == 1);  // any bits: the oldest, 0
  CHECK(lot::count_tag(&word, 0) == 0);
  CHECK(lot::count_tag(&word, 2) == 1);

  CHECK(lot::unpark(&word, 1, 4, 12) == 0);  // bits 100: nobody
  CHECK(lot::unpark(&word, INT_MAX, 1, 13) == 1);  // bits 01: only 2 is left
  CHECK(lot::unpark_all(&word) == 1);              // 3, with result 0
  CHECK(lot::unpark(&word, 1) == 0);

  t0.join();
  t1.join();
  t2.join();
  t3.join();
  CHECK(p[0].result == 11);
  CHECK(p[1].result == 10);
  CHECK(p[2].result == 13);
  CHECK(p[3].result == 0);
  CHECK_FALSE(lot::maybe_waiters(&word));
}

TEST_CASE("unpark wakes at most n waiters, oldest first, in one call", "[runtime][lot]") {
  int word = 0;
  constexpr int kN = 40;  // more than unpark's batch of 32
  std::vector<Parker> p;
  for (int i = 0; i < kN; i++) p.push_back(Parker{&word, lot::kAnyBits, i});
  std::vector<std::unique_ptr<test::Task<std::function<void()>>>> tasks;
  for (int i = 0; i < kN; i++) {
    tasks.push_back(std::make_unique<test::Task<std::function<void()>>>([&p, i] { p[i].run(); }));
    await_parked(&word, i, 1);  // parked in spawn order
  }
  CHECK(lot::unpark(&word, 3, lot::kAnyBits, 1) == 3);
  for (int i = 0; i < kN; i++) CHECK(lot::count_tag(&word, i) == (i < 3 ? 0 : 1));
  CHECK(lot::unpark(&word, 35, lot::kAnyBits, 2) == 35);  // crosses a batch boundary
  for (int i = 0; i < kN; i++) CHECK(lot::count_tag(&word, i) == (i < 38 ? 0 : 1));
  CHECK(lot::unpark(&word, INT_MAX, lot::kAnyBits, 3) == 2);
  for (auto& t : tasks) t->join();
  for (int i = 0; i < kN; i++) CHECK(p[i].result == (i < 3 ? 1 : i < 38 ? 2 : 3));
}

TEST_CASE("unpark wakes only waiters of its own address when addresses share a bucket",
          "[runtime][lot]") {
  // More addresses than the lot has buckets: some must share one.
  constexpr int kN = 1100;
  std::unique_ptr<int[]> words(new int[kN]);
  std::vector<Parker> p;
  for (int i = 0; i < kN; i++) p.push_back(Parker{&words[i], lot::kAnyBits, 0});
  std::vector<green::Green*> gs;
  for (int i = 0; i < kN; i++) {
    gs.push_back(test::spawn_fn([](void* a) -> void* {
      static_cast<Parker*>(a)->run();
      return nullptr;
    }, &p[i], 32 * 1024));
    REQUIRE(gs.back());
  }
  for (int i = 0; i < kN; i++) await_parked(&words[i], 0, 1);
  int wrong = 0;
  for (int i = kN - 1; i >= 0; i--) {
    if (lot::unpark(&words[i], INT_MAX, lot::kAnyBits, i + 1) != 1) wrong++;
    if (i > 0 && lot::count_tag(&words[i - 1], 0) != 1) wrong++;
  }
  CHECK(wrong == 0);
  for (auto g : gs) REQUIRE(green::join(g, nullptr) == 0);
  int mismatched = 0;
  for (int i = 0; i < kN; i++) mismatched += p[i].result != i + 1;
  CHECK(mismatched == 0);
}

TEST_CASE("interrupt ends a park with the given result", "[runtime][lot]") {
  int word = 0;
  int result = INT_MIN;
  green::Nanos took = 0;
  test::Task waiter([&] {
    green::CancelPoint cp;  // notes the Waiter where pthread_cancel finds it
    green::Nanos start = green::now();
    result = lot::park(&word, lot::kAnyBits, 0, start + test::ms(10000), kWhy, always_blocked);
    took = green::now() - start;
  });
  await_parked(&word, 0, 1);
  lot::Waiter* w = green::posix_thread(waiter.g)->lot_waiter;
  REQUIRE(w);
  lot::interrupt(w, 77);
  CHECK(lot::count_tag(&word, 0) == 0);
  CHECK(lot::unpark(&word, 1) == 0);  // nothing left to wake
  waiter.join();
  CHECK(result == 77);
  CHECK(took < test::ms(5000));  // not the 10 s timeout
}

TEST_CASE("interrupt after an unpark claimed the waiter changes nothing", "[runtime][lot]") {
  int word = 0;
  int result = INT_MIN;
  test::Task waiter([&] {
    green::CancelPoint cp;
    result = lot::park(&word, lot::kAnyBits, 0, green::kForever, kWhy, always_blocked);
  });
  await_parked(&word, 0, 1);
  lot::Waiter* w = green::posix_thread(waiter.g)->lot_waiter;
  REQUIRE(w);
  CHECK(lot::unpark(&word, 1, lot::kAnyBits, 5) == 1);
  lot::interrupt(w, 77);  // the waiter has not run yet: w is still alive, but claimed
  waiter.join();
  CHECK(result == 5);
}

// The green-owner table (sync/owner.h): records keyed by a mutex's address,
// and owner_drop_all when a green thread ends.
#include "catch.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "sync/owner.h"
#include "util.h"

namespace {

// What owner_drop_all reported: fn is a plain function pointer.
std::vector<std::pair<void*, int>> g_dropped;
void note_drop(void* m, int kind) { g_dropped.emplace_back(m, kind); }

// Mutex-sized, mutex-aligned stand-ins: only their addresses are used.
struct alignas(8) FakeMutex {
  char bytes[40];
};

}  // namespace

TEST_CASE("owner_set records a green owner with count 1 until owner_erase", "[runtime][owner]") {
  FakeMutex m, other;
  green::Green* me = green::current();
  CHECK(green::owner_of(&m).owner == nullptr);
  CHECK(green::owner_of(&m).count == 0);

  green::owner_set(&m, me, 1);
  CHECK(green::owner_of(&m).owner == me);
  CHECK(green::owner_of(&m).count == 1);
  CHECK(green::owner_of(&other).owner == nullptr);

  green::owner_count(&m, 3);
  CHECK(green::owner_of(&m).count == 3);
  CHECK(green::owner_of(&m).owner == me);

  green::owner_erase(&m);
  CHECK(green::owner_of(&m).owner == nullptr);
  CHECK(green::owner_of(&m).count == 0);
}

TEST_CASE("owner_count and owner_erase of an unowned address change nothing",
          "[runtime][owner]") {
  FakeMutex m, held;
  green::owner_set(&held, green::current(), 0);
  green::owner_count(&m, 5);
  CHECK(green::owner_of(&m).owner == nullptr);
  CHECK(green::owner_of(&m).count == 0);
  green::owner_erase(&m);
  CHECK(green::owner_of(&held).owner == green::current());
  green::owner_erase(&held);
  CHECK(green::owner_of(&held).owner == nullptr);
}

TEST_CASE("records of many addresses sharing buckets are kept apart", "[runtime][owner]") {
  constexpr int kN = 1000;  // more than the table has buckets
  std::unique_ptr<FakeMutex[]> ms(new FakeMutex[kN]);
  green::Green* me = green::current();
  for (int i = 0; i < kN; i++) {
    green::owner_set(&ms[i], me, i % 4);
    green::owner_count(&ms[i], unsigned(i + 1));
  }
  int wrong = 0;
  for (int i = 0; i < kN; i++) {
    green::OwnerInfo o = green::owner_of(&ms[i]);
    wrong += o.owner != me || o.count != unsigned(i + 1);
  }
  CHECK(wrong == 0);
  for (int i = 0; i < kN; i += 2) green::owner_erase(&ms[i]);
  wrong = 0;
  for (int i = 0; i < kN; i++) {
    green::OwnerInfo o = green::owner_of(&ms[i]);
    wrong += i % 2 == 0 ? o.owner != nullptr : o.owner != me || o.count != unsigned(i + 1);
  }
  CHECK(wrong == 0);
  for (int i = 1; i < kN; i += 2) green::owner_erase(&ms[i]);
  for (int i = 0; i < kN; i++) wrong += green::owner_of(&ms[i]).owner != nullptr;
  CHECK(wrong == 0);
}

TEST_CASE("owner_drop_all calls fn for exactly the ending thread's records and erases them",
          "[runtime][owner]") {
  constexpr int kMine = 300, kTheirs = 200;  // together more than the buckets
  std::unique_ptr<FakeMutex[]> mine(new FakeMutex[kMine]);
  std::unique_ptr<FakeMutex[]> theirs(new FakeMutex[kTheirs]);
  green::Green* me = green::current();
  for (int i = 0; i < kTheirs; i++) green::owner_set(&theirs[i], me, 100 + i % 3);

  g_dropped.clear();
  std::vector<std::pair<void*, int>> expected;
  green::Green* ender = nullptr;
  test::Task t([&] {
    ender = green::current();
    for (int i = 0; i < kMine; i++) {
      green::owner_set(&mine[i], ender, i % 3);
      if (i % 5 == 0) green::owner_count(&mine[i], 7);  // a recursive hold
      expected.emplace_back(&mine[i], i % 3);
    }
    green::yield();  // records of both threads exist at once
    green::owner_drop_all(ender, note_drop);  // as when the thread ends
  });
  t.join();

  std::sort(expected.begin(), expected.end());
  std::sort(g_dropped.begin(), g_dropped.end());
  CHECK(g_dropped.size() == size_t(kMine));
  CHECK(g_dropped == expected);  // each record once, with its kind
  int left = 0;
  for (int i = 0; i < kMine; i++) left += green::owner_of(&mine[i]).owner != nullptr;
  CHECK(left == 0);
  int kept = 0;
  for (int i = 0; i < kTheirs; i++) kept += green::owner_of(&theirs[i]).owner == me;
  CHECK(kept == kTheirs);  // the other thread's records are untouched

  // Nothing is left of the ended thread: a second drop reports nothing.
  g_dropped.clear();
  green::owner_drop_all(ender, note_drop);
  CHECK(g_dropped.empty());

  green::owner_drop_all(me, note_drop);
  CHECK(g_dropped.size() == size_t(kTheirs));
  for (int i = 0; i < kTheirs; i++) kept -= green::owner_of(&theirs[i]).owner == nullptr;
  CHECK(kept == 0);
}

TEST_CASE("owner_drop_all of a thread that owns nothing calls nothing", "[runtime][owner]") {
  FakeMutex m;
  green::owner_set(&m, green::current(), 0);
  g_dropped.clear();
  test::Task t([&] { green::owner_drop_all(green::current(), note_drop); });
  t.join();
  CHECK(g_dropped.empty());
  CHECK(green::owner_of(&m).owner == green::current());
  green::owner_erase(&m);
}

TEST_CASE("owner_drop_all's fn may use the table (it runs outside the bucket locks)",
          "[runtime][owner]") {
  // mark_owner_dead (mutex.cc) unlocks the mutex: fn must not run under a lock.
  static FakeMutex ms[64];
  static int seen_unowned = 0;
  static green::Green* heir = nullptr;
  seen_unowned = 0;
  heir = green::current();
  test::Task t([&] {
    for (auto& m : ms) green::owner_set(&m, green::current(), 0);
    green::owner_drop_all(green::current(), [](void* m, int) {
      if (green::owner_of(m).owner == nullptr) seen_unowned++;  // already erased
      green::owner_set(m, heir, 1);                             // another thread takes it
    });
  });
  t.join();
  CHECK(seen_unowned == 64);
  int taken = 0;
  for (auto& m : ms) taken += green::owner_of(&m).owner == heir && green::owner_of(&m).count == 1;
  CHECK(taken == 64);
  for (auto& m : ms) green::owner_erase(&m);
}

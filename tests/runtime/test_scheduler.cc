// Green threads: spawn, join, detach, park/wake, per-thread errno, stacks.
#include "catch.h"

#include <sys/eventfd.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "io/fd_state.h"
#include "sched/netpoll.h"
#include "util.h"

namespace {

// Reads one token from a non-blocking fd, parking while it is empty.
uint64_t take(int fd) {
  uint64_t v = 0;
  while (read(fd, &v, sizeof v) != sizeof v) {
    REQUIRE(errno == EAGAIN);
    REQUIRE(green::wait_fd(fd, POLLIN, green::kForever) > 0);
  }
  return v;
}

struct Ring {
  std::vector<int> rd, wr;  // link i: wr[i] -> rd[i]
  int laps = 0;
  std::atomic<long> passes{0};
};

struct Node {
  Ring* ring;
  size_t i;
};

void* ring_node(void* p) {
  auto n = static_cast<Node*>(p);
  Ring* r = n->ring;
  size_t next = (n->i + 1) % r->rd.size();
  for (int lap = 0; lap < r->laps; lap++) {
    uint64_t token = take(r->rd[n->i]);
    r->passes++;
    token++;
    if (!(n->i + 1 == r->rd.size() && lap + 1 == r->laps))
      REQUIRE(write(r->wr[next], &token, sizeof token) == sizeof token);
  }
  return nullptr;
}

void run_ring(Ring& r) {
  size_t n = r.rd.size();
  std::vector<Node> nodes(n);
  std::vector<green::Green*> threads(n);
  for (size_t i = 0; i < n; i++) {
    nodes[i] = {&r, i};
    threads[i] = test::spawn_fn(ring_node, &nodes[i], 32 * 1024);
    REQUIRE(threads[i]);
  }
  uint64_t token = 1;
  REQUIRE(write(r.wr[0], &token, sizeof token) == sizeof token);
  for (auto g : threads) REQUIRE(green::join(g, nullptr) == 0);
  CHECK(r.passes == long(n) * r.laps);
}

void raise_fd_limit() {
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

TEST_CASE("10,000 green threads pass a token around a ring of eventfds", "[runtime][sched]") {
  raise_fd_limit();
  Ring r;
  r.laps = 3;
  for (int i = 0; i < 10000; i++) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    REQUIRE(fd >= 0);
    r.rd.push_back(fd);
    r.wr.push_back(fd);
  }
  run_ring(r);
  for (int fd : r.rd) green::forget_fd(fd), close(fd);
}

TEST_CASE("green threads pass a token around a ring of pipes", "[runtime][sched]") {
  raise_fd_limit();
  Ring r;
  r.laps = 3;
  for (int i = 0; i < 2000; i++) {
    int p[2];
    REQUIRE(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    r.rd.push_back(p[0]);
    r.wr.push_back(p[1]);
  }
  run_ring(r);
  for (size_t i = 0; i < r.rd.size(); i++)
    green::forget_fd(r.rd[i]), close(r.rd[i]), green::forget_fd(r.wr[i]), close(r.wr[i]);
}

TEST_CASE("join returns the thread's result and detach frees it", "[runtime][sched]") {
  auto g = test::spawn_fn([](void* a) -> void* { return a; }, reinterpret_cast<void*>(42));
  void* res = nullptr;
  REQUIRE(green::try_join(g, &res) == -EBUSY);
  REQUIRE(green::join(g, &res) == 0);
  CHECK(res == reinterpret_cast<void*>(42));

  auto d = test::spawn_fn([](void*) -> void* { return nullptr; }, nullptr);
  CHECK(green::detach(d) == 0);
  green::yield();
  CHECK(green::join(green::current(), nullptr) == -EDEADLK);
}

TEST_CASE("errno is kept per green thread across parks", "[runtime][sched]") {
  std::atomic<int> ok{0};
  auto body = [&](int mine) {
    errno = mine;
    for (int i = 0; i < 20; i++) {
      green::sleep_until(green::now() + test::us(200));
      if (errno != mine) return;
      green::yield();
    }
    ok++;
  };
  test::Task a([&] { body(EINTR); });
  test::Task b([&] { body(EAGAIN); });
  test::Task c([&] { body(0); });
  a.join();
  b.join();
  c.join();
  CHECK(ok == 3);
}

TEST_CASE("wake from a foreign OS thread resumes a parked green thread", "[runtime][sched]") {
  green::Green* me = green::current();
  std::atomic<uint64_t> seq{~0ull};
  std::thread waker([&] {
    while (seq.load() == ~0ull) std::this_thread::yield();
    green::wake(me, seq.load(), 42);
  });
  seq = green::park_seq(me);
  int r = green::park(green::WaitReason::kNativeWake);
  waker.join();
  CHECK(r == 42);
}

TEST_CASE("many foreign wakes in a row are each delivered once", "[runtime][sched]") {
  green::Green* me = green::current();
  std::atomic<uint64_t> seq{~0ull};
  const int rounds = 2000;
  std::thread waker([&] {
    for (int i = 0; i < rounds; i++) {
      uint64_t s;
      while ((s = seq.exchange(~0ull)) == ~0ull) std::this_thread::yield();
      green::wake(me, s, i);
    }
  });
  int sum_ok = 0;
  for (int i = 0; i < rounds; i++) {
    seq = green::park_seq(me);
    if (green::park(green::WaitReason::kNativeWake) == i) sum_ok++;
  }
  waker.join();
  CHECK(sum_ok == rounds);
}

TEST_CASE("stacks of ended threads are reused", "[runtime][stack]") {
  void* lo1 = nullptr;
  void* lo2 = nullptr;
  auto probe = [](void* out) -> void* {
    size_t size;
    green::green_stack(green::current(), static_cast<void**>(out), &size);
    return nullptr;
  };
  green::join(test::spawn_fn(probe, &lo1), nullptr);
  green::join(test::spawn_fn(probe, &lo2), nullptr);
  CHECK(lo1 != nullptr);
  CHECK(lo1 == lo2);
}

TEST_CASE("yield runs other ready threads first", "[runtime][sched]") {
  std::vector<int> order;
  test::Task a([&] { order.push_back(1); green::yield(); order.push_back(3); });
  test::Task b([&] { order.push_back(2); green::yield(); order.push_back(4); });
  a.join();
  b.join();
  CHECK(order == std::vector<int>{1, 2, 3, 4});
}

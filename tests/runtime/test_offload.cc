// offload(): blocking calls on the pool while green threads keep running.
#include "catch.h"

#include <atomic>

#include "util.h"

TEST_CASE("an offloaded blocking call leaves the hub free for other green threads",
          "[runtime][offload]") {
  int ticks = 0;
  bool done = false;
  test::Task ticker([&] {
    while (!done) {
      green::sleep_until(green::now() + test::ms(5));
      ticks++;
    }
  });
  green::offload([](void*) { usleep(100 * 1000); }, nullptr);
  done = true;
  ticker.join();
  CHECK(ticks >= 10);
}

TEST_CASE("many offloads in flight all complete", "[runtime][offload]") {
  std::atomic<int> ran{0};
  std::vector<std::unique_ptr<test::Task<std::function<void()>>>> tasks;
  for (int i = 0; i < 32; i++)
    tasks.push_back(std::make_unique<test::Task<std::function<void()>>>([&] {
      green::offload([](void* p) {
        usleep(2000);
        (*static_cast<std::atomic<int>*>(p))++;
      }, &ran);
    }));
  for (auto& t : tasks) t->join();
  CHECK(ran == 32);
}

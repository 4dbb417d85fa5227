// Nanosecond sleeps on the hub's deadline heap.
#include "catch.h"

#include <algorithm>
#include <vector>

#include "util.h"

TEST_CASE("100 us sleeps oversleep less than 100 us at the median", "[runtime][timer]") {
  std::vector<green::Nanos> over;
  for (int i = 0; i < 300; i++) {
    green::Nanos start = green::now();
    REQUIRE(green::sleep_until(start + test::us(100)) == 0);
    green::Nanos late = green::now() - start - test::us(100);
    REQUIRE(late >= 0);
    over.push_back(late);
  }
  std::sort(over.begin(), over.end());
  green::Nanos median = over[over.size() / 2];
  INFO("median oversleep " << median / 1000 << " us");
  CHECK(median < test::us(100));
}

TEST_CASE("sleepers wake in deadline order", "[runtime][timer]") {
  std::vector<int> order;
  green::Nanos base = green::now();
  std::vector<std::unique_ptr<test::Task<std::function<void()>>>> tasks;
  for (int i : {5, 1, 4, 2, 3}) {
    tasks.push_back(std::make_unique<test::Task<std::function<void()>>>([&order, base, i] {
      green::sleep_until(base + test::ms(2 * i));
      order.push_back(i);
    }));
  }
  for (auto& t : tasks) t->join();
  CHECK(order == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("a sleeping thread does not hold up the others", "[runtime][timer]") {
  int ticks = 0;
  test::Task sleeper([] { green::sleep_until(green::now() + test::ms(50)); });
  test::Task ticker([&] {
    for (int i = 0; i < 5; i++, ticks++) green::sleep_until(green::now() + test::ms(2));
  });
  ticker.join();
  CHECK(ticks == 5);
  sleeper.join();
}

// The C++ exception state (__cxa_get_globals) is per green thread.
#include "catch.h"

#include <exception>
#include <stdexcept>
#include <string>

#include "util.h"

namespace {

void nap() { green::sleep_until(green::now() + test::us(300)); }

std::string rethrow_after_park(const std::string& mine) {
  try {
    try {
      throw std::runtime_error(mine);
    } catch (...) {
      nap();  // another thread throws and catches meanwhile
      throw;
    }
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

struct ParksInDestructor {
  int* seen;
  ~ParksInDestructor() {
    nap();
    *seen = std::uncaught_exceptions();
  }
};

}  // namespace

TEST_CASE("a green thread parked in a catch block still rethrows its own exception",
          "[runtime][exceptions]") {
  std::string a, b;
  test::Task ta([&] { a = rethrow_after_park("from A"); });
  test::Task tb([&] { b = rethrow_after_park("from B"); });
  ta.join();
  tb.join();
  CHECK(a == "from A");
  CHECK(b == "from B");
}

TEST_CASE("a green thread parked in a destructor during unwinding sees its own uncaught count",
          "[runtime][exceptions]") {
  int unwinding = -1, calm = -1;
  test::Task ta([&] {
    try {
      ParksInDestructor p{&unwinding};
      throw 1;
    } catch (int) {
    }
  });
  test::Task tb([&] { ParksInDestructor p{&calm}; });
  ta.join();
  tb.join();
  CHECK(unwinding == 1);
  CHECK(calm == 0);
}

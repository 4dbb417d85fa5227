// wait_fd and FdRef: readiness, timeouts, close while waiting.
#include "catch.h"

#include <sys/socket.h>

#include <cerrno>

#include "io/fd_state.h"
#include "sched/netpoll.h"
#include "util.h"

namespace {

struct Pair {
  int a, b;
  Pair() {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    a = sv[0];
    b = sv[1];
  }
  // A close the runtime must hear of (INV-FD2): the numbers are reused.
  ~Pair() {
    green::forget_fd(a);
    close(a);
    green::forget_fd(b);
    close(b);
  }
};

}  // namespace

TEST_CASE("wait_fd times out when nothing arrives", "[runtime][netpoll]") {
  Pair p;
  green::Nanos start = green::now();
  CHECK(green::wait_fd(p.a, POLLIN, start + test::ms(20)) == -ETIMEDOUT);
  green::Nanos took = green::now() - start;
  CHECK(took >= test::ms(20));
  CHECK(took < test::ms(500));
}

TEST_CASE("wait_fd returns when another green thread writes", "[runtime][netpoll]") {
  Pair p;
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(5));
    REQUIRE(write(p.b, "x", 1) == 1);
  });
  int r = green::wait_fd(p.a, POLLIN, green::now() + test::ms(2000));
  CHECK((r & POLLIN));
  writer.join();
}

TEST_CASE("wait_fd reports an fd that is writable at once", "[runtime][netpoll]") {
  Pair p;
  CHECK((green::wait_fd(p.a, POLLOUT, green::kForever) & POLLOUT));
}

TEST_CASE("a reader and a writer share one registration of an fd", "[runtime][netpoll]") {
  Pair p;
  char big[65536] = {};
  while (write(p.a, big, sizeof big) > 0) {
  }
  bool reader_woke = false, writer_woke = false;
  test::Task reader([&] { reader_woke = green::wait_fd(p.a, POLLIN, green::kForever) > 0; });
  test::Task writer([&] { writer_woke = green::wait_fd(p.a, POLLOUT, green::kForever) > 0; });
  green::sleep_until(green::now() + test::ms(5));
  while (read(p.b, big, sizeof big) > 0) {
  }
  REQUIRE(write(p.b, "y", 1) == 1);
  reader.join();
  writer.join();
  CHECK(reader_woke);
  CHECK(writer_woke);
}

TEST_CASE("wait_fd on a regular file is refused", "[runtime][netpoll]") {
  int fd = open("/proc/self/exe", O_RDONLY);
  REQUIRE(fd >= 0);
  CHECK(green::wait_fd(fd, POLLIN, green::kForever) == -EPERM);
  close(fd);
}

TEST_CASE("a waiter keeps the file it waited on when its fd number is closed and reused",
          "[runtime][netpoll]") {
  Pair p;
  int reused = -1;
  char got = 0;
  test::Task waiter([&] {
    green::FdRef ref(p.a, green::fd_peek(p.a).generation());
    for (;;) {
      ssize_t n = read(ref.fd(), &got, 1);
      if (n == 1) break;
      REQUIRE(errno == EAGAIN);
      REQUIRE(ref.wait(POLLIN, green::kForever) > 0);
    }
  });
  green::yield();
  int a = p.a;
  green::netpoll_close(a);
  close(a);
  int q[2];
  REQUIRE(pipe2(q, O_NONBLOCK) == 0);
  reused = q[0];
  CHECK(reused == a);  // the number now names the pipe
  REQUIRE(write(q[1], "P", 1) == 1);
  green::sleep_until(green::now() + test::ms(5));
  CHECK(got == 0);
  REQUIRE(write(p.b, "S", 1) == 1);  // the original socket gets data
  waiter.join();
  CHECK(got == 'S');
  p.a = dup(p.b);  // keep ~Pair's closes balanced
  green::forget_fd(q[0]);
  close(q[0]);
  close(q[1]);
}

TEST_CASE("a number closed, forgotten and reused by a pipe is waited on as the pipe",
          "[runtime][netpoll]") {
  int a;
  {
    Pair p;
    CHECK((green::wait_fd(p.a, POLLOUT, green::kForever) & POLLOUT));  // registers p.a
    a = p.a;
  }
  int q[2];
  REQUIRE(pipe2(q, O_NONBLOCK) == 0);
  REQUIRE(q[0] == a);
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(5));
    REQUIRE(write(q[1], "x", 1) == 1);
  });
  CHECK((green::wait_fd(q[0], POLLIN, green::now() + test::ms(2000)) & POLLIN));
  writer.join();
  green::forget_fd(q[0]);
  close(q[0]);
  close(q[1]);
}

TEST_CASE("a registered fd wakes a later waiter for data that arrived between waits",
          "[runtime][netpoll]") {
  Pair p;
  char c;
  for (int i = 0; i < 3; i++) {
    REQUIRE(write(p.b, "z", 1) == 1);  // an edge nobody waits for
    CHECK((green::wait_fd(p.a, POLLIN, green::now() + test::ms(2000)) & POLLIN));
    REQUIRE(read(p.a, &c, 1) == 1);
    test::Task writer([&] {
      green::sleep_until(green::now() + test::ms(2));
      REQUIRE(write(p.b, "w", 1) == 1);
    });
    CHECK((green::wait_fd(p.a, POLLIN, green::now() + test::ms(2000)) & POLLIN));
    REQUIRE(read(p.a, &c, 1) == 1);
    writer.join();
  }
}

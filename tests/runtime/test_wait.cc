// The wait of a blocking call (io/wait.h): BlockingWait's decisions (the
// program's O_NONBLOCK, socket timeouts, kReadiness), block_on over
// non-blocking attempts, errno, ready_now.
//
// The fd state caches the program's O_NONBLOCK and the socket timeouts per
// description epoch (io/fd_state.h, INV-DESC): a test that changes them with
// fcntl or setsockopt directly calls green::desc_changed() after, as the
// shim does for programs.
#include "catch.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "io/fd_state.h"
#include "io/wait.h"
#include "util.h"

namespace {

// Timing: lower bounds with a small margin, upper bounds of seconds (the
// machine is shared).
const green::Nanos kMargin = test::ms(2);
const green::Nanos kLate = test::ms(5000);

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);  // blocking, as a program's pipe
    r = p[0];
    w = p[1];
    green::forget_fd(r);
    green::forget_fd(w);
  }
  void close_w() {
    green::forget_fd(w);
    close(w);
    w = -1;
  }
  ~Pipe() {
    for (int fd : {r, w}) {
      if (fd < 0) continue;
      green::forget_fd(fd);
      close(fd);
    }
  }
};

struct SockPair {
  int a = -1, b = -1;
  SockPair() {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);  // blocking
    a = sv[0];
    b = sv[1];
    green::forget_fd(a);
    green::forget_fd(b);
  }
  ~SockPair() {
    for (int fd : {a, b}) {
      green::forget_fd(fd);
      close(fd);
    }
  }
};

// The program's fcntl(F_SETFL) as the shim makes it.
void set_program_nonblocking(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  REQUIRE(fl >= 0);
  REQUIRE(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) == 0);
  green::desc_changed();
}

// The program's setsockopt of a socket timeout as the shim makes it.
void set_timeout(int fd, int opt, green::Nanos t) {
  timeval tv{static_cast<time_t>(t / 1000000000), static_cast<suseconds_t>(t % 1000000000 / 1000)};
  REQUIRE(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) == 0);
  green::desc_changed();
}

ssize_t neg(ssize_t r) { return r < 0 ? -errno : r; }

// An Attempt reading a pipe: readiness first when it must not block.
struct PipeRead {
  char* buf;
  size_t n;
  int* attempts;
  int* blocking;
  ssize_t operator()(int fd, bool may_block) const {
    ++*attempts;
    if (may_block) {
      ++*blocking;
      return neg(read(fd, buf, n));
    }
    return green::when_ready(fd, POLLIN, [&] { return neg(read(fd, buf, n)); });
  }
};

// An Attempt receiving from a socket: MSG_DONTWAIT when it must not block
// (which sets errno to EAGAIN when nothing is there, as the shim's does).
struct SockRecv {
  char* buf;
  size_t n;
  int* attempts;
  ssize_t operator()(int fd, bool may_block) const {
    ++*attempts;
    return neg(recv(fd, buf, n, may_block ? 0 : MSG_DONTWAIT));
  }
};

// Fills a socket's send buffer.
void fill(int fd) {
  static char big[65536];
  while (send(fd, big, sizeof big, MSG_DONTWAIT) > 0) {
  }
  REQUIRE(errno == EAGAIN);
}

}  // namespace

TEST_CASE("block_on returns -EAGAIN without parking on a pipe the program made non-blocking",
          "[runtime][wait]") {
  Pipe p;
  set_program_nonblocking(p.r, true);
  green::FdState st = green::fd_state(p.r);
  REQUIRE(st.pollable());
  CHECK(green::BlockingWait(st, POLLIN).program_nonblocking());

  char buf[8];
  int attempts = 0, blocking = 0;
  green::Green* me = green::current();
  uint64_t seq = green::park_seq(me);
  CHECK(green::block_on(st, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking}) ==
        -EAGAIN);
  CHECK(green::park_seq(me) == seq);  // no park
  CHECK(attempts == 1);
  CHECK(blocking == 0);

  set_program_nonblocking(p.r, false);
  CHECK_FALSE(green::BlockingWait(green::fd_state(p.r), POLLIN).program_nonblocking());
}

TEST_CASE("the program's O_NONBLOCK is read from the cache until desc_changed",
          "[runtime][wait]") {
  Pipe p;
  CHECK_FALSE(green::BlockingWait(green::fd_state(p.r), POLLIN).program_nonblocking());
  int fl = fcntl(p.r, F_GETFL);
  REQUIRE(fcntl(p.r, F_SETFL, fl | O_NONBLOCK) == 0);  // behind the table's back
  CHECK_FALSE(green::BlockingWait(green::fd_state(p.r), POLLIN).program_nonblocking());
  green::desc_changed();
  CHECK(green::BlockingWait(green::fd_state(p.r), POLLIN).program_nonblocking());
  // A dup names the same description: it sees it too.
  int d = dup(p.r);
  REQUIRE(d >= 0);
  green::forget_fd(d);
  CHECK(green::BlockingWait(green::fd_state(d), POLLIN).program_nonblocking());
  green::forget_fd(d);
  close(d);
}

TEST_CASE("block_on parks a blocking pipe read until another green thread writes",
          "[runtime][wait]") {
  Pipe p;
  green::FdState st = green::fd_state(p.r);
  char buf[16] = {};
  int attempts = 0, blocking = 0;
  green::Nanos start = green::now();
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(10));
    CHECK(write(p.w, "hello", 5) == 5);
  });
  green::Green* me = green::current();
  uint64_t seq = green::park_seq(me);
  ssize_t r = green::block_on(st, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking});
  green::Nanos took = green::now() - start;
  writer.join();
  CHECK(r == 5);
  CHECK(std::string(buf, 5) == "hello");
  CHECK(green::park_seq(me) != seq);  // it parked
  CHECK(attempts >= 2);
  CHECK(blocking == 0);
  CHECK(took >= test::ms(10));
  CHECK(took < kLate);
}

TEST_CASE("block_on returns end of file when the pipe's writer closes", "[runtime][wait]") {
  Pipe p;
  green::FdState st = green::fd_state(p.r);
  char buf[4];
  int attempts = 0, blocking = 0;
  test::Task closer([&] {
    green::sleep_until(green::now() + test::ms(5));
    p.close_w();
  });
  CHECK(green::block_on(st, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking}) == 0);
  closer.join();
  CHECK(blocking == 0);
}

TEST_CASE("block_on with user_nowait returns the attempt's -EAGAIN at once", "[runtime][wait]") {
  SockPair s;
  char buf[4];
  int attempts = 0;
  green::Green* me = green::current();
  uint64_t seq = green::park_seq(me);
  CHECK(green::block_on(green::fd_state(s.a), POLLIN, true, SockRecv{buf, sizeof buf, &attempts}) ==
        -EAGAIN);
  CHECK(green::park_seq(me) == seq);
  CHECK(attempts == 1);
}

TEST_CASE("SO_RCVTIMEO makes BlockingWait::wait return -EAGAIN after the timeout",
          "[runtime][wait]") {
  SockPair s;
  const green::Nanos timeout = test::ms(60);
  set_timeout(s.a, SO_RCVTIMEO, timeout);
  green::FdState st = green::fd_state(s.a);
  REQUIRE_FALSE(st.not_socket());
  green::Nanos start = green::now();
  green::BlockingWait w(st, POLLIN);
  CHECK_FALSE(w.program_nonblocking());
  CHECK(w.wait() == -EAGAIN);
  green::Nanos took = green::now() - start;
  CHECK(took >= timeout - kMargin);
  CHECK(took < kLate);
}

TEST_CASE("SO_RCVTIMEO makes a blocking block_on return -EAGAIN after the timeout",
          "[runtime][wait]") {
  SockPair s;
  const green::Nanos timeout = test::ms(60);
  set_timeout(s.a, SO_RCVTIMEO, timeout);
  char buf[4];
  int attempts = 0;
  errno = EDOM;
  green::Nanos start = green::now();
  CHECK(green::block_on(green::fd_state(s.a), POLLIN, false, SockRecv{buf, sizeof buf, &attempts}) ==
        -EAGAIN);
  green::Nanos took = green::now() - start;
  CHECK(errno == EDOM);  // the result says it; errno is the program's
  CHECK(took >= timeout - kMargin);
  CHECK(took < kLate);
  CHECK(attempts == 1);

  // Data before the timeout: the call returns it.
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(5));
    CHECK(send(s.b, "k", 1, 0) == 1);
  });
  CHECK(green::block_on(green::fd_state(s.a), POLLIN, false, SockRecv{buf, sizeof buf, &attempts}) == 1);
  writer.join();
  CHECK(buf[0] == 'k');
}

TEST_CASE("SO_SNDTIMEO makes a wait for room return -EAGAIN after the timeout",
          "[runtime][wait]") {
  SockPair s;
  const green::Nanos timeout = test::ms(60);
  set_timeout(s.a, SO_SNDTIMEO, timeout);
  fill(s.a);
  green::FdState st = green::fd_state(s.a);
  green::Nanos start = green::now();
  green::BlockingWait w(st, POLLOUT);
  CHECK(w.wait() == -EAGAIN);
  green::Nanos took = green::now() - start;
  CHECK(took >= timeout - kMargin);
  CHECK(took < kLate);

  // SO_RCVTIMEO is the receive side's: a read wait on a socket with only
  // SO_SNDTIMEO has no deadline (the writer ends it).
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(timeout / 1000000 + 40));
    CHECK(send(s.b, "r", 1, 0) == 1);
  });
  start = green::now();
  CHECK((green::BlockingWait(green::fd_state(s.a), POLLIN).wait() & POLLIN));
  CHECK(green::now() - start >= timeout + test::ms(40));
  writer.join();
}

TEST_CASE("block_on leaves errno as it was when the call succeeds after an EAGAIN",
          "[runtime][wait]") {
  SockPair s;
  char buf[4] = {};
  int attempts = 0;
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(5));
    CHECK(send(s.b, "z", 1, 0) == 1);
  });
  errno = EDOM;
  ssize_t r = green::block_on(green::fd_state(s.a), POLLIN, false, SockRecv{buf, sizeof buf, &attempts});
  int e = errno;
  writer.join();
  CHECK(r == 1);
  CHECK(buf[0] == 'z');
  CHECK(attempts >= 2);  // the first said EAGAIN (and set errno)
  CHECK(e == EDOM);
}

TEST_CASE("kReadiness ignores the program's O_NONBLOCK", "[runtime][wait]") {
  Pipe p;
  set_program_nonblocking(p.r, true);
  green::FdState st = green::fd_state(p.r);
  green::BlockingWait w(st, POLLIN, green::BlockingWait::kReadiness);
  CHECK_FALSE(w.program_nonblocking());
  green::Nanos start = green::now();
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(10));
    CHECK(write(p.w, "x", 1) == 1);
  });
  CHECK((w.wait() & POLLIN));  // waited for the writer, no EAGAIN
  CHECK(green::now() - start >= test::ms(10));
  writer.join();
}

TEST_CASE("kReadiness ignores a socket's SO_RCVTIMEO", "[runtime][wait]") {
  SockPair s;
  set_timeout(s.a, SO_RCVTIMEO, test::ms(20));
  green::FdState st = green::fd_state(s.a);
  green::BlockingWait w(st, POLLIN, green::BlockingWait::kReadiness);
  green::Nanos start = green::now();
  test::Task writer([&] {
    green::sleep_until(green::now() + test::ms(120));
    CHECK(send(s.b, "y", 1, 0) == 1);
  });
  CHECK((w.wait() & POLLIN));  // well past the 20 ms timeout
  CHECK(green::now() - start >= test::ms(120));
  writer.join();
}

TEST_CASE("an interrupt ends a blocking block_on with -EINTR", "[runtime][wait]") {
  Pipe p;
  green::FdState st = green::fd_state(p.r);
  ssize_t r = INT_MIN;
  bool started = false;
  test::Task reader([&] {
    char buf[4];
    int attempts = 0, blocking = 0;
    started = true;
    r = green::block_on(st, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking});
  });
  while (!started) green::yield();  // it parks in the turn it starts
  green::interrupt(reader.g);
  reader.join();
  CHECK(r == -EINTR);
}

TEST_CASE("block_on makes the blocking call at once on a regular file or a bad fd",
          "[runtime][wait]") {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  green::forget_fd(fd);
  green::FdState st = green::fd_state(fd);
  REQUIRE(st.kind() == green::FdKind::kFile);
  char buf[4];
  int attempts = 0, blocking = 0;
  CHECK(green::block_on(st, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking}) == 4);
  CHECK(std::memcmp(buf, "\x7f" "ELF", 4) == 0);
  CHECK(attempts == 1);
  CHECK(blocking == 1);
  // A wait on it is refused: epoll does not take regular files.
  CHECK(green::BlockingWait(st, POLLIN).wait() == -EPERM);
  green::forget_fd(fd);
  close(fd);

  // The number is closed now: its kind stays unknown, the call says EBADF.
  green::FdState bad = green::fd_state(fd);
  REQUIRE(bad.kind() == green::FdKind::kUnknown);
  attempts = blocking = 0;
  CHECK(green::block_on(bad, POLLIN, false, PipeRead{buf, sizeof buf, &attempts, &blocking}) ==
        -EBADF);
  CHECK(blocking == 1);
}

TEST_CASE("ready_now and when_ready look without waiting", "[runtime][wait]") {
  Pipe p;
  CHECK(green::ready_now(p.r, POLLIN) == 0);
  CHECK(green::ready_now(p.w, POLLOUT) > 0);
  bool called = false;
  CHECK(green::when_ready(p.r, POLLIN, [&]() -> ssize_t {
          called = true;
          return 0;
        }) == -EAGAIN);
  CHECK_FALSE(called);
  REQUIRE(write(p.w, "q", 1) == 1);
  CHECK(green::ready_now(p.r, POLLIN) > 0);
  CHECK(green::when_ready(p.r, POLLIN, [&]() -> ssize_t { return 42; }) == 42);

  int bad;
  {
    Pipe q;
    bad = q.r;
  }
  CHECK(green::ready_now(bad, POLLIN) == -EBADF);
  CHECK(green::when_ready(bad, POLLIN, [&]() -> ssize_t { return 42; }) == -EBADF);
}

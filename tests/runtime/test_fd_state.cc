// The fd state table (io/fd_state.h): the kind learnt by fstat, the
// generation, the description bits and their epoch (INV-DESC), its wrap.
//
// The table and the epoch are process-wide: each test uses numbers it has
// just made (and forgotten, so their entries start clear) and checks only
// entries of those numbers.
#include "catch.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "io/fd_state.h"
#include "util.h"

using green::DescBit;
using green::FdKind;

namespace {

// The entries hold the epoch's and the generation's low 24 bits.
constexpr uint32_t kLow24 = 0xffffff;
constexpr uint32_t kEpochPeriod = 1u << 24;

// A pipe whose numbers start with clear entries and are forgotten on close,
// as the shim does for the program's closes (INV-FD2: numbers are reused).
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    r = p[0];
    w = p[1];
    green::forget_fd(r);
    green::forget_fd(w);
  }
  ~Pipe() {
    for (int fd : {r, w}) {
      if (fd < 0) continue;
      green::forget_fd(fd);
      close(fd);
    }
  }
};

// A fresh number of any kind, forgotten on close.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {
    REQUIRE(fd >= 0);
    green::forget_fd(fd);
  }
  ~Fd() {
    green::forget_fd(fd);
    close(fd);
  }
};

uint32_t gen(int fd) { return green::fd_peek(fd).generation(); }
int desc(int fd, DescBit b) { return green::fd_peek(fd).desc(b); }
uint32_t epoch24() { return green::desc_snapshot().epoch & kLow24; }

void change_epoch(uint32_t times) {
  for (uint32_t i = 0; i < times; i++) green::desc_changed();
}

}  // namespace

TEST_CASE("fd_state learns a pipe's kind by fstat: pollable, not a socket",
          "[runtime][fd_state]") {
  Pipe p;
  CHECK(green::fd_peek(p.r).kind() == FdKind::kUnknown);  // peek learns nothing
  green::FdState st = green::fd_state(p.r);
  CHECK(st.fd == p.r);
  CHECK(st.kind() == FdKind::kPollable);
  CHECK(st.pollable());
  CHECK(st.not_socket());
  CHECK(st.view() == green::ListenerView::kNotOurs);
  // Stored: a peek now sees it.
  CHECK(green::fd_peek(p.r).kind() == FdKind::kPollable);
  CHECK(green::fd_peek(p.r).not_socket());
  CHECK(green::fd_peek(p.w).kind() == FdKind::kUnknown);  // the other end is its own entry
}

TEST_CASE("fd_state learns that a socket is pollable and a socket", "[runtime][fd_state]") {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  Fd a(sv[0]), b(sv[1]);
  green::FdState st = green::fd_state(a.fd);
  CHECK(st.kind() == FdKind::kPollable);
  CHECK_FALSE(st.not_socket());
}

TEST_CASE("fd_state learns that an eventfd is pollable and no socket", "[runtime][fd_state]") {
  Fd e(eventfd(0, EFD_CLOEXEC));
  green::FdState st = green::fd_state(e.fd);
  CHECK(st.kind() == FdKind::kPollable);
  CHECK(st.not_socket());
}

TEST_CASE("fd_state learns that a regular file or a directory is a file", "[runtime][fd_state]") {
  Fd file(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  CHECK(green::fd_state(file.fd).kind() == FdKind::kFile);
  CHECK_FALSE(green::fd_state(file.fd).pollable());
  Fd dir(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  CHECK(green::fd_state(dir.fd).kind() == FdKind::kFile);
}

TEST_CASE("fd_state leaves a bad fd unknown, and learns the number once it is open",
          "[runtime][fd_state]") {
  int bad;
  {
    Pipe p;
    bad = p.r;
  }
  REQUIRE(fcntl(bad, F_GETFD) == -1);  // closed
  CHECK(green::fd_state(bad).kind() == FdKind::kUnknown);
  CHECK(green::fd_peek(bad).kind() == FdKind::kUnknown);  // nothing stored
  CHECK(green::fd_state(bad).kind() == FdKind::kUnknown);  // asked again: still unknown
  CHECK(green::fd_state(-1).kind() == FdKind::kUnknown);
  CHECK(green::fd_state(-1).word == 0);

  Pipe q;  // the lowest free number: likely `bad` again
  CHECK(green::fd_state(q.r).kind() == FdKind::kPollable);
}

TEST_CASE("a number forgotten after a close learns its new file's kind", "[runtime][fd_state]") {
  int num;
  {
    Fd file(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    REQUIRE(green::fd_state(file.fd).kind() == FdKind::kFile);
    num = file.fd;
  }
  Pipe p;
  REQUIRE((p.r == num || p.w == num));
  CHECK(green::fd_state(num).kind() == FdKind::kPollable);
}

TEST_CASE("forget_fd clears the entry and moves the generation", "[runtime][fd_state]") {
  Pipe p;
  green::fd_state(p.r);
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, true);
  green::set_listener_view(p.r, green::ListenerView::kBlocking);
  uint32_t g0 = gen(p.r);
  green::forget_fd(p.r);
  green::FdState st = green::fd_peek(p.r);
  CHECK(st.generation() == ((g0 + 1) & kLow24));
  CHECK(st.kind() == FdKind::kUnknown);
  CHECK(st.view() == green::ListenerView::kNotOurs);
  CHECK_FALSE(st.not_socket());
  CHECK(st.desc(DescBit::kNonBlock) == -1);
  CHECK((st.word & ((uint64_t{1} << 40) - 1)) == 0);  // nothing but the generation
  green::forget_fd(p.r);
  CHECK(gen(p.r) == ((g0 + 2) & kLow24));
}

TEST_CASE("copy_fd gives the new number the old one's state and a new generation",
          "[runtime][fd_state]") {
  Pipe p;
  Fd d(dup(p.r));
  REQUIRE(green::fd_state(p.r).kind() == FdKind::kPollable);
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, true);
  uint32_t old_gen = gen(p.r);
  uint32_t g0 = gen(d.fd);
  green::copy_fd(p.r, d.fd);
  green::FdState st = green::fd_peek(d.fd);
  CHECK(st.generation() == ((g0 + 1) & kLow24));
  CHECK(st.kind() == FdKind::kPollable);
  CHECK(st.not_socket());
  CHECK(st.desc(DescBit::kNonBlock) == 1);  // one description: same epoch, same bits
  CHECK(gen(p.r) == old_gen);               // the old number is unchanged
  CHECK(green::fd_peek(p.r).kind() == FdKind::kPollable);
  // A description change invalidates both.
  green::desc_changed();
  CHECK(desc(d.fd, DescBit::kNonBlock) == -1);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
}

TEST_CASE("copy_fd from a number with no entry clears the new one", "[runtime][fd_state]") {
  Pipe p;
  green::fd_state(p.w);
  uint32_t g0 = gen(p.w);
  green::copy_fd(-1, p.w);
  CHECK(gen(p.w) == ((g0 + 1) & kLow24));
  CHECK(green::fd_peek(p.w).kind() == FdKind::kUnknown);
}

TEST_CASE("fresh_fd sets the kind and the program's O_NONBLOCK with a new generation",
          "[runtime][fd_state]") {
  Pipe p;
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kRcvTimeo, true);
  uint32_t g0 = gen(p.r);
  green::fresh_fd(p.r, FdKind::kPollable, true);
  green::FdState st = green::fd_peek(p.r);
  CHECK(st.generation() == ((g0 + 1) & kLow24));
  CHECK(st.kind() == FdKind::kPollable);
  CHECK(st.desc(DescBit::kNonBlock) == 1);
  CHECK(st.desc(DescBit::kRcvTimeo) == -1);  // the old file's bits are gone
  CHECK(st.view() == green::ListenerView::kNotOurs);
  green::fresh_fd(p.r, FdKind::kFile, false);
  CHECK(gen(p.r) == ((g0 + 2) & kLow24));
  CHECK(green::fd_peek(p.r).kind() == FdKind::kFile);
  CHECK(desc(p.r, DescBit::kNonBlock) == 0);
}

TEST_CASE("set_fd_kind and set_listener_view change their bits only", "[runtime][fd_state]") {
  Pipe p;
  green::fd_state(p.r);
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, false);
  uint32_t g0 = gen(p.r);
  green::set_listener_view(p.r, green::ListenerView::kNonBlocking);
  green::set_fd_kind(p.r, FdKind::kFile);
  green::FdState st = green::fd_peek(p.r);
  CHECK(st.generation() == g0);
  CHECK(st.view() == green::ListenerView::kNonBlocking);
  CHECK(st.kind() == FdKind::kFile);
  CHECK(st.not_socket());
  CHECK(st.desc(DescBit::kNonBlock) == 0);
}

TEST_CASE("description bits are valid until desc_changed and unknown after",
          "[runtime][fd_state]") {
  Pipe p;
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
  green::DescSnapshot s = green::desc_snapshot();
  CHECK(s.quiet);
  green::desc_learn(p.r, s, DescBit::kNonBlock, true);
  CHECK(desc(p.r, DescBit::kNonBlock) == 1);
  CHECK(desc(p.r, DescBit::kRcvTimeo) == -1);
  green::desc_learn(p.r, s, DescBit::kRcvTimeo, false);
  green::desc_learn(p.r, s, DescBit::kSndTimeo, true);
  CHECK(desc(p.r, DescBit::kNonBlock) == 1);  // learning one bit keeps the others
  CHECK(desc(p.r, DescBit::kRcvTimeo) == 0);
  CHECK(desc(p.r, DescBit::kSndTimeo) == 1);
  CHECK(desc(p.w, DescBit::kNonBlock) == -1);

  green::desc_changed();
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
  CHECK(desc(p.r, DescBit::kRcvTimeo) == -1);
  CHECK(desc(p.r, DescBit::kSndTimeo) == -1);
  CHECK(green::fd_peek(p.r).pollable() == green::fd_state(p.r).pollable());  // kind is kept

  // Relearnt at the new epoch, with the new value.
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, false);
  CHECK(desc(p.r, DescBit::kNonBlock) == 0);
  CHECK(desc(p.r, DescBit::kRcvTimeo) == -1);  // the others of the old epoch stay unknown
}

TEST_CASE("a learn with a snapshot taken before a desc_changed leaves the bit unknown",
          "[runtime][fd_state]") {
  Pipe p;
  green::DescSnapshot s = green::desc_snapshot();
  green::desc_changed();  // the program changed a description after we asked
  green::desc_learn(p.r, s, DescBit::kNonBlock, true);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
  green::desc_changed();
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
}

// A learn whose snapshot is of an older epoch stores nothing: were it
// stored at its stale epoch, it would drop what another learner stored at
// the current one, and it is what let the wrap case below turn valid.
TEST_CASE("a learn with a stale snapshot keeps the bits learnt at the current epoch",
          "[runtime][fd_state]") {
  Pipe p;
  green::DescSnapshot stale = green::desc_snapshot();
  green::desc_changed();
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, true);
  REQUIRE(desc(p.r, DescBit::kNonBlock) == 1);
  green::desc_learn(p.r, stale, DescBit::kRcvTimeo, false);
  CHECK(desc(p.r, DescBit::kRcvTimeo) == -1);
  CHECK(desc(p.r, DescBit::kNonBlock) == 1);
}

TEST_CASE("no learn is stored while a private O_NONBLOCK flip runs or after one began",
          "[runtime][fd_state]") {
  Pipe p;
  uint64_t before = green::fd_peek(p.r).word;

  // Snapshot during a flip: not quiet.
  green::begin_private_flip();
  green::DescSnapshot during = green::desc_snapshot();
  CHECK_FALSE(during.quiet);
  green::desc_learn(p.r, during, DescBit::kNonBlock, true);
  CHECK(green::fd_peek(p.r).word == before);
  green::end_private_flip();
  green::desc_learn(p.r, during, DescBit::kNonBlock, true);  // still the snapshot of a flip
  CHECK(green::fd_peek(p.r).word == before);

  // Snapshot before a flip, learn while it runs.
  green::DescSnapshot quiet = green::desc_snapshot();
  REQUIRE(quiet.quiet);
  green::begin_private_flip();
  green::desc_learn(p.r, quiet, DescBit::kNonBlock, true);
  CHECK(green::fd_peek(p.r).word == before);
  green::end_private_flip();

  // Snapshot before a flip that began and ended before the learn.
  green::desc_learn(p.r, quiet, DescBit::kNonBlock, true);
  CHECK(green::fd_peek(p.r).word == before);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);

  // After the flips: a fresh snapshot learns.
  green::DescSnapshot after = green::desc_snapshot();
  CHECK(after.quiet);
  green::desc_learn(p.r, after, DescBit::kNonBlock, true);
  CHECK(desc(p.r, DescBit::kNonBlock) == 1);
}

TEST_CASE("bits learnt at an epoch do not turn valid when the 24-bit epoch comes round again",
          "[runtime][fd_state]") {
  Pipe p;
  green::DescSnapshot s = green::desc_snapshot();
  green::desc_learn(p.r, s, DescBit::kNonBlock, true);
  green::desc_learn(p.r, s, DescBit::kRcvTimeo, false);
  REQUIRE(desc(p.r, DescBit::kNonBlock) == 1);

  green::Nanos start = green::now();
  change_epoch(kEpochPeriod);
  green::Nanos took = green::now() - start;
  INFO("2^24 desc_changed() took " << took / 1000000 << " ms");

  REQUIRE(epoch24() == (s.epoch & kLow24));  // the entry's epoch matches again
  CHECK(green::desc_snapshot().epoch != s.epoch);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
  CHECK(desc(p.r, DescBit::kRcvTimeo) == -1);
  CHECK(green::fd_peek(p.r).kind() == FdKind::kUnknown);  // never learnt: the wrap keeps the rest
  CHECK(green::fd_state(p.r).pollable());

  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, false);
  CHECK(desc(p.r, DescBit::kNonBlock) == 0);
}

TEST_CASE("bits learnt at the epoch just before the wrap value do not turn valid a period later",
          "[runtime][fd_state]") {
  // The wrap clears when the epoch's low bits reach 0: learn at 0xffffff,
  // the last value before it.
  change_epoch((kLow24 - epoch24()) & kLow24);
  REQUIRE(epoch24() == kLow24);
  Pipe p;
  green::desc_learn(p.r, green::desc_snapshot(), DescBit::kNonBlock, true);
  REQUIRE(desc(p.r, DescBit::kNonBlock) == 1);
  change_epoch(kEpochPeriod);
  REQUIRE(epoch24() == kLow24);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
}

// Not covered by fd_state.cc: a learner whose snapshot was taken just before
// the wrapping desc_changed() stores after the wrap's clear, at the old
// epoch value; nothing clears it before the epoch comes round to that value
// again, 2^24 - 1 changes later, and then the bits read as valid (they may
// be wrong: the change that wrapped may have been to this description).
// fd_state.cc's comment only excuses a snapshot held across all 2^24.
TEST_CASE("a learn racing the wrapping desc_changed does not turn valid a period later",
          "[runtime][fd_state]") {
  change_epoch((kLow24 - epoch24()) & kLow24);
  REQUIRE(epoch24() == kLow24);
  Pipe p;
  green::DescSnapshot s = green::desc_snapshot();  // a learner asks the kernel...
  green::desc_changed();                           // ...the program's change wraps the epoch...
  green::desc_learn(p.r, s, DescBit::kNonBlock, true);  // ...and the learner stores
  REQUIRE(epoch24() == 0);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
  change_epoch(kEpochPeriod - 1);
  REQUIRE(epoch24() == kLow24);
  CHECK(desc(p.r, DescBit::kNonBlock) == -1);
}

#include "io/fd_table.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <cstddef>

#include "sched/netpoll.h"

namespace green {

namespace {

using Word = uint64_t;

constexpr size_t kMaxFds = 1 << 20;
constexpr Word kKindMask = 0x3;
constexpr Word kViewShift = 2;
constexpr Word kViewMask = 0x3 << kViewShift;
constexpr Word kNotSocketBit = 0x10;
// DescBit b: known at bit 8 + 2b, value at bit 9 + 2b.
constexpr Word kDescMask = 0x3f00;
constexpr Word known_bit(DescBit b) { return Word{0x100} << (2 * static_cast<unsigned>(b)); }
constexpr Word value_bit(DescBit b) { return Word{0x200} << (2 * static_cast<unsigned>(b)); }
constexpr int kEpochShift = 32;
constexpr Word kFlagsMask = 0xffffffff;

std::atomic<uint32_t> g_epoch{1};        // INV-DESC
std::atomic<uint32_t> g_flips_begun{0};  // private O_NONBLOCK flips (connect)
std::atomic<uint32_t> g_flips_ended{0};
std::atomic<int> g_high{-1};             // highest fd whose entry was ever written

std::atomic<Word>* table() {
  static std::atomic<Word>* t = [] {
    void* m = mmap(nullptr, kMaxFds * sizeof(Word), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? nullptr : static_cast<std::atomic<Word>*>(m);
  }();
  return t;
}

std::atomic<Word>* entry(int fd) {
  auto t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= kMaxFds || !t) return nullptr;
  return &t[fd];
}

// entry() for a write: keeps g_high, which bounds desc_changed's wrap scan.
std::atomic<Word>* entry_w(int fd) {
  auto e = entry(fd);
  int high = g_high.load(std::memory_order_relaxed);
  while (e && fd > high && !g_high.compare_exchange_weak(high, fd, std::memory_order_relaxed)) {
  }
  return e;
}

void set_bits(int fd, Word mask, Word value) {
  auto e = entry_w(fd);
  if (!e) return;
  Word old = e->load(std::memory_order_relaxed);
  while (!e->compare_exchange_weak(old, (old & ~mask) | value, std::memory_order_relaxed)) {
  }
}

}  // namespace

FdKind fd_kind(int fd) {
  auto e = entry(fd);
  if (!e) return FdKind::kUnknown;
  auto k = static_cast<FdKind>(e->load(std::memory_order_relaxed) & kKindMask);
  if (k != FdKind::kUnknown) return k;
  struct stat st;
  if (fstat(fd, &st) != 0) return FdKind::kUnknown;
  k = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode) ? FdKind::kFile
                                                                        : FdKind::kPollable;
  set_fd_kind(fd, k);
  if (!S_ISSOCK(st.st_mode)) set_bits(fd, kNotSocketBit, kNotSocketBit);
  return k;
}

void set_fd_kind(int fd, FdKind k) { set_bits(fd, kKindMask, static_cast<Word>(k)); }

ListenerView listener_view(int fd) {
  auto e = entry(fd);
  if (!e) return ListenerView::kNotOurs;
  return static_cast<ListenerView>((e->load(std::memory_order_relaxed) & kViewMask) >> kViewShift);
}

void set_listener_view(int fd, ListenerView v) {
  set_bits(fd, kViewMask, static_cast<Word>(v) << kViewShift);
}

bool known_not_socket(int fd) {
  auto e = entry(fd);
  return e && (e->load(std::memory_order_relaxed) & kNotSocketBit);
}

void forget_fd(int fd) {
  green::netpoll_forget(fd);
  auto e = entry(fd);
  if (e && e->load(std::memory_order_relaxed)) e->store(0, std::memory_order_relaxed);
}

// The copy keeps the epoch: both numbers name one description (INV-DESC).
void copy_fd(int oldfd, int newfd) {
  green::netpoll_forget(newfd);
  auto from = entry(oldfd);
  auto to = entry_w(newfd);
  if (from && to) to->store(from->load(std::memory_order_relaxed), std::memory_order_relaxed);
}

// Nothing else names a description accept() just made, so any epoch is
// right for it: the current one.
void fresh_fd(int fd, FdKind k, bool nonblock) {
  green::netpoll_forget(fd);
  auto e = entry_w(fd);
  if (!e) return;
  Word w = static_cast<Word>(k) | known_bit(DescBit::kNonBlock) |
           (nonblock ? value_bit(DescBit::kNonBlock) : 0) |
           (Word{g_epoch.load()} << kEpochShift);
  e->store(w, std::memory_order_relaxed);
}

int desc_cached(int fd, DescBit b) {
  auto e = entry(fd);
  if (!e) return -1;
  Word w = e->load(std::memory_order_relaxed);
  if (!(w & known_bit(b)) || (w >> kEpochShift) != g_epoch.load()) return -1;
  return (w & value_bit(b)) ? 1 : 0;
}

// Order matters: flips_ended before flips_begun, so a flip running now
// shows as begun != ended (a flip ending in between only makes us careful).
DescSnapshot desc_snapshot() {
  uint32_t ended = g_flips_ended.load();
  uint32_t begun = g_flips_begun.load();
  return DescSnapshot{g_epoch.load(), begun, begun == ended};
}

void desc_learn(int fd, const DescSnapshot& s, DescBit b, bool on) {
  if (!s.quiet || g_flips_begun.load() != s.flips) return;  // a private flip may have been seen
  auto e = entry_w(fd);
  if (!e) return;
  Word old = e->load(std::memory_order_relaxed);
  Word nw;
  do {
    Word flags = old & kFlagsMask;
    if ((old >> kEpochShift) != s.epoch) flags &= ~kDescMask;  // other bits were of another epoch
    flags = (flags & ~(known_bit(b) | value_bit(b))) | known_bit(b) | (on ? value_bit(b) : 0);
    nw = flags | (Word{s.epoch} << kEpochShift);
  } while (!e->compare_exchange_weak(old, nw, std::memory_order_relaxed));
}

// After 2^32 changes the epoch comes round again: entries learnt at the
// reused value must not turn valid, so their description bits are cleared
// first. (A learner holding a snapshot across all 2^32 changes is not
// covered.)
void desc_changed() {
  if (g_epoch.fetch_add(1) + 1 != 0) return;
  auto t = table();
  int high = g_high.load();
  for (int fd = 0; t && fd <= high; fd++) {
    Word old = t[fd].load(std::memory_order_relaxed);
    while ((old & kDescMask) &&
           !t[fd].compare_exchange_weak(old, old & ~kDescMask, std::memory_order_relaxed)) {
    }
  }
}

void begin_private_flip() { g_flips_begun.fetch_add(1); }
void end_private_flip() { g_flips_ended.fetch_add(1); }

}  // namespace green

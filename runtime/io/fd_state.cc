// fd_state.cc: the fd state table (see fd_state.h for the word).
#include "io/fd_state.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <cstddef>

#include "os/sys.h"

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
constexpr int kEpochShift = 16;
constexpr Word kEpochMask = Word{0xffffff} << kEpochShift;
constexpr int kGenShift = 40;
constexpr Word kGenMask = Word{0xffffff} << kGenShift;
constexpr Word kFlagsMask = 0xffff;

std::atomic<uint32_t> g_epoch{1};        // INV-DESC; entries hold its low 24 bits
std::atomic<uint32_t> g_flips_begun{0};  // private O_NONBLOCK flips (connect)
std::atomic<uint32_t> g_flips_ended{0};
std::atomic<int> g_high{-1};             // highest fd whose entry was ever written

uint32_t epoch_bits(uint32_t e) { return e & 0xffffff; }
uint32_t entry_epoch(Word w) { return static_cast<uint32_t>((w & kEpochMask) >> kEpochShift); }
Word with_epoch(Word w, uint32_t e) { return (w & ~kEpochMask) | (Word{epoch_bits(e)} << kEpochShift); }
Word next_generation(Word w) { return ((w & kGenMask) + (Word{1} << kGenShift)) & kGenMask; }

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

// Replaces the bits of mask with value (the generation is never in mask).
void set_bits(int fd, Word mask, Word value) {
  auto e = entry_w(fd);
  if (!e) return;
  Word old = e->load(std::memory_order_relaxed);
  while (!e->compare_exchange_weak(old, (old & ~mask) | value, std::memory_order_relaxed)) {
  }
}

// A new generation with the flags and epoch of `flags` (0: a clear entry).
void renew(std::atomic<Word>* e, Word flags) {
  Word old = e->load(std::memory_order_relaxed);
  while (!e->compare_exchange_weak(old, next_generation(old) | (flags & ~kGenMask),
                                   std::memory_order_release, std::memory_order_relaxed)) {
  }
}

}  // namespace

int FdState::desc(DescBit b) const {
  if (!(word & known_bit(b)) || entry_epoch(word) != epoch_bits(g_epoch.load())) return -1;
  return (word & value_bit(b)) ? 1 : 0;
}

FdState fd_peek(int fd) {
  FdState s;
  s.fd = fd;
  if (auto e = entry(fd)) s.word = e->load(std::memory_order_acquire);
  return s;
}

FdState fd_state(int fd) {
  FdState s = fd_peek(fd);
  if (s.kind() != FdKind::kUnknown || fd < 0) return s;
  struct stat st;
  if (sys::fstat(fd, &st) != 0) return s;
  FdKind k = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode) ? FdKind::kFile
                                                                               : FdKind::kPollable;
  Word bits = static_cast<Word>(k) | (S_ISSOCK(st.st_mode) ? 0 : kNotSocketBit);
  set_bits(fd, kKindMask | kNotSocketBit, bits);
  s.word = (s.word & ~(kKindMask | kNotSocketBit)) | bits;
  return s;
}

void set_fd_kind(int fd, FdKind k) { set_bits(fd, kKindMask, static_cast<Word>(k)); }

void set_listener_view(int fd, ListenerView v) {
  set_bits(fd, kViewMask, static_cast<Word>(v) << kViewShift);
}

void forget_fd(int fd) {
  if (auto e = entry_w(fd)) renew(e, 0);
}

// The copy keeps the epoch: both numbers name one description (INV-DESC).
void copy_fd(int oldfd, int newfd) {
  auto from = entry(oldfd);
  auto to = entry_w(newfd);
  if (to) renew(to, from ? from->load(std::memory_order_relaxed) : 0);
}

// Nothing else names a description accept() just made, so any epoch is
// right for it: the current one.
void fresh_fd(int fd, FdKind k, bool nonblock) {
  auto e = entry_w(fd);
  if (!e) return;
  Word w = static_cast<Word>(k) | known_bit(DescBit::kNonBlock) |
           (nonblock ? value_bit(DescBit::kNonBlock) : 0);
  renew(e, with_epoch(w, g_epoch.load()));
}

// Order matters: flips_ended before flips_begun, so a flip running now
// shows as begun != ended (a flip ending in between only makes us careful).
DescSnapshot desc_snapshot() {
  uint32_t ended = g_flips_ended.load();
  uint32_t begun = g_flips_begun.load();
  return DescSnapshot{g_epoch.load(), begun, begun == ended};
}

// A learn whose snapshot is of an older epoch stores nothing: its bits
// would be stamped with that epoch, and after the wrap scan (below) such
// bits would turn valid again 2^24 changes later. A change that lands
// between the check and the store is caught by the re-check after it: the
// bits are taken back unless someone rewrote the entry meanwhile.
void desc_learn(int fd, const DescSnapshot& s, DescBit b, bool on) {
  if (!s.quiet || g_flips_begun.load() != s.flips) return;  // a private flip may have been seen
  if (g_epoch.load() != s.epoch) return;
  auto e = entry_w(fd);
  if (!e) return;
  Word old = e->load(std::memory_order_relaxed);
  Word nw;
  do {
    Word w = old;
    if (entry_epoch(old) != epoch_bits(s.epoch)) w &= ~kDescMask;  // other bits were of another epoch
    w = (w & ~(known_bit(b) | value_bit(b))) | known_bit(b) | (on ? value_bit(b) : 0);
    nw = with_epoch(w, s.epoch);
  } while (!e->compare_exchange_weak(old, nw, std::memory_order_seq_cst));
  if (g_epoch.load() == s.epoch) return;
  Word cur = nw;
  e->compare_exchange_strong(cur, nw & ~kDescMask, std::memory_order_relaxed);
}

// After 2^24 changes the epoch's bits come round again: entries learnt at
// the reused value must not turn valid, so their description bits are
// cleared first. (A learner holding a snapshot across all 2^24 changes is
// not covered.)
void desc_changed() {
  if (epoch_bits(g_epoch.fetch_add(1) + 1) != 0) return;
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

#include "fd_table.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <cstddef>

namespace shim {

namespace {

constexpr size_t kMaxFds = 1 << 20;
constexpr unsigned char kKindMask = 0x3;
constexpr unsigned char kViewShift = 2;
constexpr unsigned char kViewMask = 0x3 << kViewShift;
constexpr unsigned char kNotSocketBit = 0x10;

std::atomic<unsigned char>* table() {
  static std::atomic<unsigned char>* t = [] {
    void* m = mmap(nullptr, kMaxFds, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? nullptr : static_cast<std::atomic<unsigned char>*>(m);
  }();
  return t;
}

std::atomic<unsigned char>* entry(int fd) {
  auto t = table();
  if (fd < 0 || static_cast<size_t>(fd) >= kMaxFds || !t) return nullptr;
  return &t[fd];
}

void set_bits(int fd, unsigned char mask, unsigned char value) {
  auto e = entry(fd);
  if (!e) return;
  unsigned char old = e->load(std::memory_order_relaxed);
  while (!e->compare_exchange_weak(old, static_cast<unsigned char>((old & ~mask) | value),
                                   std::memory_order_relaxed)) {
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

void set_fd_kind(int fd, FdKind k) { set_bits(fd, kKindMask, static_cast<unsigned char>(k)); }

ListenerView listener_view(int fd) {
  auto e = entry(fd);
  if (!e) return ListenerView::kNotOurs;
  return static_cast<ListenerView>((e->load(std::memory_order_relaxed) & kViewMask) >> kViewShift);
}

void set_listener_view(int fd, ListenerView v) {
  set_bits(fd, kViewMask, static_cast<unsigned char>(static_cast<unsigned char>(v) << kViewShift));
}

bool known_not_socket(int fd) {
  auto e = entry(fd);
  return e && (e->load(std::memory_order_relaxed) & kNotSocketBit);
}

void forget_fd(int fd) {
  auto e = entry(fd);
  if (e && e->load(std::memory_order_relaxed)) e->store(0, std::memory_order_relaxed);
}

void copy_fd(int oldfd, int newfd) {
  auto from = entry(oldfd);
  auto to = entry(newfd);
  if (from && to) to->store(from->load(std::memory_order_relaxed), std::memory_order_relaxed);
}

}  // namespace shim

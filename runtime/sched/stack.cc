#include "sched/stack.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#include "os/check.h"
#include "os/sys.h"
#include "config/config.h"

namespace green {

static size_t page_size() {
  static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

size_t Stack::default_guard_size() { return page_size(); }

static size_t round_to_pages(size_t n) {
  size_t p = page_size();
  return (n + p - 1) / p * p;
}

// Each stack is two VMAs (guard + usable); past vm.max_map_count mmap or
// mprotect fail with ENOMEM and pthread_create returns EAGAIN, as natively.
// Say once what the limit is and how to raise it (DESIGN rule 8).
static void report_map_limit() {
  static std::atomic<bool> said{false};
  if (said.exchange(true)) return;
  long limit = -1;
  int fd = sys::openat(AT_FDCWD, "/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[32] = {};
    if (sys::read(fd, buf, sizeof buf - 1) > 0) limit = strtol(buf, nullptr, 10);
    sys::close(fd);
  }
  report("libgreen: cannot map another green-thread stack (ENOMEM). Each stack takes 2 of the "
         "process's memory maps and vm.max_map_count is %ld, about %ld threads; raise it with "
         "`sysctl -w vm.max_map_count=N` or lower GREEN_STACK_SIZE if memory is short.",
         limit, limit > 0 ? limit / 2 : 0);
}

// Every mapped stack, live or pooled (any thread; for stats/).
static std::atomic<size_t> g_mapped_bytes{0};
static std::atomic<size_t> g_mapped_stacks{0};

size_t stacks_mapped() { return g_mapped_stacks.load(std::memory_order_relaxed); }
size_t stacks_mapped_bytes() { return g_mapped_bytes.load(std::memory_order_relaxed); }

int stack_map(size_t size, Stack* out, size_t guard) {
  size_t usable = round_to_pages(size);
  guard = guard ? round_to_pages(guard) : Stack::default_guard_size();
  size_t total = usable + guard;
  void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) {
    int err = errno;
    if (err == ENOMEM) report_map_limit();
    return -err;
  }
  if (mprotect(m, guard, PROT_NONE) != 0) {
    int err = errno;
    if (err == ENOMEM) report_map_limit();
    munmap(m, total);
    return -err;
  }
  g_mapped_bytes.fetch_add(total, std::memory_order_relaxed);
  g_mapped_stacks.fetch_add(1, std::memory_order_relaxed);
  out->map = static_cast<char*>(m);
  out->map_size = total;
  out->guard = guard;
  return 0;
}

void stack_unmap(Stack* s) {
  if (s->map) {
    munmap(s->map, s->map_size);
    g_mapped_bytes.fetch_sub(s->map_size, std::memory_order_relaxed);
    g_mapped_stacks.fetch_sub(1, std::memory_order_relaxed);
  }
  *s = Stack{};
}

bool stack_overflowed_at(const Stack& s, const void* addr) {
  auto a = static_cast<const char*>(addr);
  return s.map && a < s.lo() && a >= s.map - 64 * 1024;
}

StackPool::~StackPool() {
  for (Stack& s : free_) stack_unmap(&s);
}

static bool pooled_shape(size_t usable, size_t guard) {
  return usable == config().stack_size && guard == Stack::default_guard_size();
}

int StackPool::get(size_t size, size_t guard, Stack* out) {
  guard = guard ? round_to_pages(guard) : Stack::default_guard_size();
  if (pooled_shape(round_to_pages(size), guard) && !free_.empty()) {
    *out = free_.back();
    free_.pop_back();
    return 0;
  }
  return stack_map(size, out, guard);
}

void StackPool::put(Stack s) {
  if (pooled_shape(s.usable(), s.guard) && free_.size() < limit_) {
    free_.push_back(s);
    return;
  }
  stack_unmap(&s);
}

}  // namespace green

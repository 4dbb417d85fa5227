// stack.h: green-thread stacks.
//
// A stack is one private anonymous mapping, lazily committed (only touched
// pages cost memory), with a PROT_NONE guard page at its low end so an
// overflow faults instead of corrupting a neighbour. Each stack costs two
// VMAs; vm.max_map_count bounds how many can exist (stack_map says so once
// when it hits the limit).
//
// StackPool keeps freed stacks of the default size for reuse (mmap + mprotect
// is the dominant cost of creating a thread). It is owned by one hub and used
// only on that hub's OS thread.
#pragma once

#include <cstddef>
#include <vector>

namespace green {

struct Stack {
  char* map = nullptr;   // start of the mapping (the guard area)
  size_t map_size = 0;   // guard + usable
  size_t guard = 0;      // PROT_NONE bytes at map
  char* lo() const { return map ? map + guard : nullptr; }
  char* hi() const { return map + map_size; }
  size_t usable() const { return map ? map_size - guard : 0; }
  static size_t default_guard_size();  // one page
};

// Maps a stack with at least `size` usable bytes below a guard of at least
// `guard` bytes (0: one page, the default). Returns 0 or -errno.
int stack_map(size_t size, Stack* out, size_t guard = 0);
void stack_unmap(Stack* s);
// Stacks mapped now (live and pooled) and their bytes, guards included (any thread).
size_t stacks_mapped();
size_t stacks_mapped_bytes();

// True when addr lies in s's guard page or up to 64 KiB below it (a large
// frame can step over one guard page).
bool stack_overflowed_at(const Stack& s, const void* addr);

class StackPool {
 public:
  explicit StackPool(size_t limit = 1024) : limit_(limit) {}
  ~StackPool();
  int get(size_t size, size_t guard, Stack* out);  // 0 or -errno
  void put(Stack s);
  size_t cached() const { return free_.size(); }

 private:
  size_t limit_;
  std::vector<Stack> free_;  // all of the default size and guard
};

}  // namespace green

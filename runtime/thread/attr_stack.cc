// attr_stack.cc: which pthread_attr_t carry a stack size the program chose.
//
// A green thread gets GREEN_STACK_SIZE unless the program asked for a size;
// pthread_attr_getstacksize cannot tell an explicit 8 MiB from glibc's
// default, and glibc's attribute layout is private, so the setters are
// watched instead. Keyed by the attribute object's address; init and
// destroy forget it.
//
// Threading: any thread; g_lock guards g_sizes (held for a lookup only).
#include <unordered_map>

#include "thread/attr_stack.h"
#include "os/spinlock.h"

namespace {

green::SpinLock g_lock;
std::unordered_map<const pthread_attr_t*, size_t>* g_sizes;  // guarded by g_lock

}  // namespace

namespace green {

void attr_stack_chosen(const pthread_attr_t* attr, size_t size) {
  green::SpinGuard guard(g_lock);
  if (!g_sizes) g_sizes = new std::unordered_map<const pthread_attr_t*, size_t>;
  (*g_sizes)[attr] = size;
}

void attr_stack_forget(const pthread_attr_t* attr) {
  green::SpinGuard guard(g_lock);
  if (g_sizes) g_sizes->erase(attr);
}

size_t chosen_stack_size(const pthread_attr_t* attr) {
  green::SpinGuard guard(g_lock);
  if (!g_sizes) return 0;
  auto it = g_sizes->find(attr);
  return it == g_sizes->end() ? 0 : it->second;
}

}  // namespace green


// malloc_slots.cc: the probe of malloc_slots.h.
#include "glibc/malloc_slots.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "glibc/tls_layout.h"
#include "os/check.h"
#include "tls/thread_pointer.h"

namespace green {

namespace {

// Runs malloc and free with the thread pointer at tp. Touches no TLS
// itself (thread_pointer.h).
__attribute__((noinline)) uintptr_t malloc_as(char* tp, char* real) {
  tp_set(tp);
  void* p = malloc(24);
  auto addr = reinterpret_cast<uintptr_t>(p);
  free(p);
  tp_set(real);
  return addr;
}

}  // namespace

// A fresh block's libc TLS has no malloc cache and no arena; after one
// malloc/free exactly two slots changed: the cache (glibc 2.30+ layout:
// uint16_t counts[64], then the bin heads, the freed chunk in bin 0) and
// the arena. The probe's cache and arena stay allocated (once).
// Whether the program's malloc is glibc's: another malloc (jemalloc in
// redis-server, tcmalloc) keeps its thread caches in its own TLS, which each
// green thread's block has anyway; glibc's cache and arena slots are unused.
static bool malloc_is_glibc() {
  Dl_info m{}, c{};
  void* fn = dlsym(RTLD_DEFAULT, "malloc");
  if (!fn || !dladdr(fn, &m) || !dladdr(reinterpret_cast<void*>(&gnu_get_libc_version), &c))
    return true;
  return m.dli_fbase == c.dli_fbase;
}

void probe_malloc_slots(char* (*make_block)(char* hi)) {
  TlsLayout& l = g_tls_layout;
  if (!malloc_is_glibc()) return;  // the slots stay -1: nothing to share
  // A block, of either TLS variant: the static TLS, the descriptor, and
  // the thread pointer's alignment.
  size_t size = l.static_size + l.desc_size + l.static_align;
  auto mem = static_cast<char*>(aligned_alloc(64, (size + 63) & ~size_t(63)));
  GREEN_CHECK(mem, "out of memory probing malloc's thread cache");
  char* tp = make_block(mem + size);
  char* real = tp_get();
  uintptr_t freed = malloc_as(tp, real);
  long changed[2];
  int n = 0;
  for (size_t off = 0; off + sizeof(void*) <= l.libc_size; off += sizeof(void*)) {
    void* v = *libc_slot(tp, off);
    void* image = nullptr;
    if (off + sizeof(void*) <= l.libc_image_size) memcpy(&image, l.libc_image + off, sizeof image);
    if (v == image) continue;
    if (n == 2) {
      n = 3;
      break;
    }
    changed[n++] = static_cast<long>(off);
  }
  if (n == 2) {
    for (int i = 0; i < 2; i++) {
      auto v = static_cast<char*>(*libc_slot(tp, changed[i]));
      bool cache = reinterpret_cast<uint16_t*>(v)[0] == 1 && reinterpret_cast<uintptr_t*>(v + 128)[0] == freed;
      if (cache) {
        l.tcache_slot = changed[i];
        l.arena_slot = changed[1 - i];
      }
    }
  }
  l.deallocate_tls(tp, false);
  free(mem);
  if (l.tcache_slot < 0)
    report(
            "libgreen: warning: glibc %s's malloc thread cache was not found; every green "
            "thread gets its own, which leaks when it ends",
            gnu_get_libc_version());
}

}  // namespace green

// tls_layout.h: facts about glibc's private thread layout, learnt from
// glibc itself at start-up and checked on the running thread (glibc 2.31
// or later; with an older or another C library, or a fact that does not
// check, libgreen names it and stays off): the size of its thread descriptor
// (struct pthread) and where the thread id, the thread-list links and the
// rseq area lie; the size and alignment of the static TLS; libc's own TLS
// block and, found by a probe (malloc_slots.h), malloc's two slots in it;
// ld.so's entry points that make and free a thread's TLS and DTV.
//
// Threading: written once, by the first tcb_init() (tls/tcb.cc) before the
// first hub exists: tls_layout_init() fills in all but the malloc slots,
// probe_malloc_slots() those two. Read-only afterwards, without locks, on
// any thread: by tls/tcb.cc and the per-architecture layout math
// (tls/arch/<cpu>/tls_arch.h).
#pragma once

#include <cstddef>

namespace green {

struct TlsLayout {
  void* (*allocate_tls)(void* tp) = nullptr;                  // _dl_allocate_tls
  void (*deallocate_tls)(void* tp, bool free_tcb) = nullptr;  // _dl_deallocate_tls
  void (*ctype_init)() = nullptr;                             // __ctype_init
  size_t static_size = 0;    // glibc's static TLS size, surplus included
  size_t static_align = 0;   // at least 16
  size_t desc_size = 0;      // sizeof (struct pthread)
  size_t tid_offset = 0;     // of the thread id in the descriptor
  size_t list_offset = 0;    // of its list_t in glibc's thread lists
  long rseq_offset = 0;      // of struct rseq from tp (0 without rseq)
  bool rseq = false;         // glibc registered rseq areas (never before 2.35)
  long libc_offset = 0;      // of libc's TLS block from tp
  size_t libc_size = 0;
  const char* libc_image = nullptr;
  size_t libc_image_size = 0;
  long tcache_slot = -1;     // within libc's block; -1: unknown (malloc_slots.h)
  long arena_slot = -1;
};

// Written by tls_layout_init() and probe_malloc_slots() only; everyone
// reads it through tls_layout().
extern TlsLayout g_tls_layout;
inline const TlsLayout& tls_layout() { return g_tls_layout; }

// Learns all of TlsLayout but the malloc slots. Once (tcb_init), after
// tp_init(); later calls return the first call's result. nullptr, or the
// name of the first fact this glibc lacks or that does not match the
// running thread: libgreen then stays off (start.cc).
const char* tls_layout_init();

// glibc's DTV: entry -1 counts the entries, entry 0 is the generation,
// entry i the block of module i: a static one inside the thread's block, a
// dynamic one elsewhere or TLS_DTV_UNALLOCATED (-1) while not made.
struct DtvEntry {
  char* val;
  void* to_free;
};

// glibc's list_t.
struct ListLink {
  ListLink* next;
  ListLink* prev;
};

// The word at byte offset slot of libc's TLS block, in the block at tp.
inline void** libc_slot(char* tp, long slot) {
  return reinterpret_cast<void**>(tp + tls_layout().libc_offset + slot);
}

}  // namespace green

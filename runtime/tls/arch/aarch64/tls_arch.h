// tls_arch.h (aarch64): where glibc puts a thread's descriptor and static
// TLS around the thread pointer (TLS variant I): tp -> {dtv, private}; the
// static TLS blocks above tp, the descriptor just below. Region
// [tp - desc, tp + reserve).
//
// The per-architecture layout math of tls/tcb.cc, pure functions of
// glibc's layout (glibc/tls_layout.h, read-only once tcb_init() has run):
// any thread. tls/arch/x86_64/tls_arch.h defines the same functions;
// runtime/meson.build puts tls/arch/<cpu_family>/ on the include path.
#pragma once

#if !defined(__aarch64__)
#error "tls/arch/aarch64/tls_arch.h: built for another CPU"
#endif

#include <cstddef>
#include <cstring>

#include "glibc/tls_layout.h"
#include "tls/align.h"

namespace green {

// The descriptor (struct pthread) of the block at tp.
inline char* descriptor(char* tp) { return tp - tls_layout().desc_size; }

// Where the thread pointer of a block ending at hi goes, and where the
// block begins.
inline void place(char* hi, size_t reserve, char** tp, char** region_lo) {
  const TlsLayout& l = tls_layout();
  *tp = align_down(hi - reserve, l.static_align);
  *region_lo = *tp - l.desc_size;
}

// The most static TLS a block can need beside its descriptor: glibc's
// static TLS size.
inline size_t full_reserve() { return tls_layout().static_size; }

// The reserve the first block is placed with: the blocks lie above tp
// (variant I), so a block placed with no reserve would have its TLS
// written past the top of its stack; static_tls_used cannot measure less.
inline size_t initial_reserve() { return full_reserve(); }

// The static TLS bytes the modules of the fresh block at tp use, from tp
// outwards. That would need each module's size: the whole static area.
inline size_t static_tls_used(char* tp) {
  (void)tp;
  return full_reserve();
}

// glibc tests a global for SINGLE_THREAD_P here, which
// shim/thread/thread.cc clears: nothing in the descriptor to set.
inline void mark_multithreaded(char* tp) { (void)tp; }

// Copies the descriptor of the block at real into the block at tp. The
// words that name the block itself ({dtv, private} at tp) are not part of
// it.
inline void copy_descriptor_words(char* tp, char* real) {
  memcpy(descriptor(tp), descriptor(real), tls_layout().desc_size);
}

}  // namespace green

// tls_arch.h (x86-64): where glibc puts a thread's descriptor and static
// TLS around the thread pointer (TLS variant II): tp -> the descriptor,
// whose first words are tcbhead's tcb, dtv, self; the static TLS blocks lie
// below tp. Region [tp - reserve, tp + desc).
//
// The per-architecture layout math of tls/tcb.cc, pure functions of
// glibc's layout (glibc/tls_layout.h, read-only once tcb_init() has run):
// any thread. tls/arch/aarch64/tls_arch.h defines the same functions;
// runtime/meson.build puts tls/arch/<cpu_family>/ on the include path.
#pragma once

#if !defined(__x86_64__)
#error "tls/arch/x86_64/tls_arch.h: built for another CPU"
#endif

#include <cstddef>
#include <cstring>

#include "glibc/tls_layout.h"
#include "tls/align.h"

namespace green {

// The descriptor (struct pthread) of the block at tp.
inline char* descriptor(char* tp) { return tp; }

// Where the thread pointer of a block ending at hi goes, and where the
// block begins.
inline void place(char* hi, size_t reserve, char** tp, char** region_lo) {
  const TlsLayout& l = tls_layout();
  *tp = align_down(hi - l.desc_size, l.static_align);
  *region_lo = *tp - reserve;
}

// The most static TLS a block can need beside its descriptor: glibc's
// static TLS size, which counts the descriptor here.
inline size_t full_reserve() {
  const TlsLayout& l = tls_layout();
  return l.static_size - l.desc_size;
}

// The reserve the first block is placed with: none, the blocks lie below
// tp (variant II) and the first block measures what its modules use.
inline size_t initial_reserve() { return 0; }

// The static TLS bytes the modules of the fresh block at tp use, from tp
// outwards: down to the lowest static block its DTV names, or to the end
// of the rseq area, which glibc 2.40+ puts below the static TLS (tcb.cc
// writes its cpu_id: left out, that write landed on the green thread's
// initial frame, Debian 13).
inline size_t static_tls_used(char* tp) {
  const TlsLayout& l = tls_layout();
  size_t rseq_end = l.rseq && l.rseq_offset < 0 ? static_cast<size_t>(-l.rseq_offset) + 32 : 0;
  auto dtv = reinterpret_cast<DtvEntry**>(tp)[1];
  size_t n = reinterpret_cast<size_t*>(dtv)[-2];
  size_t used = 0;
  for (size_t i = 1; i <= n; i++) {
    char* v = dtv[i].val;
    if (v && v < tp && static_cast<size_t>(tp - v) <= full_reserve() && size_t(tp - v) > used)
      used = tp - v;
  }
  if (rseq_end > used) used = rseq_end;
  return (used + 63) & ~size_t(63);
}

// glibc 2.36 tests header.multiple_threads for SINGLE_THREAD_P (malloc
// then skips its locks); later versions test a global that
// shim/thread/thread.cc clears.
inline void mark_multithreaded(char* tp) { reinterpret_cast<int*>(tp)[6] = 1; }

// Copies the descriptor of the block at real into the block at tp, but for
// the header words that name the block itself: tcb, dtv, self.
inline void copy_descriptor_words(char* tp, char* real) {
  void* dtv = reinterpret_cast<void**>(tp)[1];
  memcpy(descriptor(tp), descriptor(real), tls_layout().desc_size);
  auto words = reinterpret_cast<void**>(tp);
  words[0] = tp;   // header.tcb
  words[1] = dtv;  // header.dtv
  words[2] = tp;   // header.self
}

}  // namespace green

// malloc_slots.h: where glibc's malloc keeps a thread's cache (tcache) and
// arena pointer in libc's TLS block, which glibc does not export: found by
// a probe, so that each green thread shares its OS thread's (tls/tcb.cc
// says why).
//
// Threading: probe_malloc_slots() runs once, from the first tcb_init()
// right after tls_layout_init(), before the first hub exists. It writes
// TlsLayout::tcache_slot and arena_slot (tls_layout.h), read-only
// afterwards. Around one malloc/free it moves its thread's thread pointer to
// the probe's block and back.
#pragma once

namespace green {

// Learns tls_layout().tcache_slot and arena_slot; when it cannot, leaves
// them -1 and warns that each green thread's cache will leak.
// make_block(hi) builds a thread block ending at hi as a green thread's is
// at its first resume (tls/tcb.cc: TLS by _dl_allocate_tls, the descriptor
// copied from the running thread's) and returns its thread pointer; the
// probe allocates the memory below hi and frees all of it.
void probe_malloc_slots(char* (*make_block)(char* hi));

}  // namespace green

// tls.h: the main executable's static TLS block, one copy per green thread
// (internal to runtime/; the design note is at the top of tls.cc).
//
// Threading: g_tls is written once by tls_init() before the first hub exists
// and only read afterwards. A hub's tls_block/tls_owner and a Green's
// tls_area are touched only on the hub's OS thread (tls_area_new() runs on
// the spawning thread before the Green is published).
#pragma once

#include <cstddef>

#include "hub.h"

namespace green {

struct TlsImage {
  size_t size = 0;              // PT_TLS p_memsz; 0 = nothing to keep per green thread
  size_t init_size = 0;         // p_filesz: .tdata bytes; the rest (.tbss) is zero
  const char* init = nullptr;   // the initialisation image (.tdata)
  long tp_offset = 0;           // block address minus the thread pointer, any OS thread
};
extern constinit TlsImage g_tls;

// Finds the executable's PT_TLS segment. Idempotent; first call at start-up.
void tls_init();

// Sets up the calling OS thread's hub h: its block, and for an adopted
// thread g (nullptr for a dedicated hub thread) ownership of the live block.
void tls_hub_init(Hub* h, Green* adopted);

// Gives a new green thread its own values, initialised from the image.
// 0 or -ENOMEM. Called before g can run.
int tls_area_new(Green* g);

// g has ended (hub side): it no longer owns the block; its area is freed.
void tls_area_free(Hub* h, Green* g);

// Moves g's values into h's block (saving the owner's first). Slow path of
// tls_enter().
void tls_switch(Hub* h, Green* g);

// Called by the hub before it resumes g: afterwards the block holds g's
// values. Costs one load and a predictable branch when the executable has
// no TLS.
inline void tls_enter(Hub* h, Green* g) {
  if (g_tls.size != 0 && h->tls_owner != g) tls_switch(h, g);
}

}  // namespace green

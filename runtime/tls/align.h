// align.h: an address rounded down to a power of two, for the layout of a
// thread block (tcb.cc, tls/arch/<cpu>/tls_arch.h). Pure: any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace green {

inline char* align_down(char* p, size_t a) {
  return reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) & ~(uintptr_t(a) - 1));
}

}  // namespace green

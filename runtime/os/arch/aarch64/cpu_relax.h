// cpu_relax.h (aarch64): what a spinning thread does between two looks at a
// lock (spinlock.h). runtime/meson.build puts os/arch/<cpu_family>/ on the
// include path; os/arch/x86_64/cpu_relax.h is the same for x86-64.
#pragma once

#if !defined(__aarch64__)
#error "os/arch/aarch64/cpu_relax.h: built for another CPU"
#endif

namespace green {

// yield: a hint that this is a spin-wait loop.
inline void cpu_relax() { asm volatile("yield"); }

}  // namespace green

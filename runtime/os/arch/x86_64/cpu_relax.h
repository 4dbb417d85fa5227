// cpu_relax.h (x86-64): what a spinning thread does between two looks at a
// lock (spinlock.h). runtime/meson.build puts os/arch/<cpu_family>/ on the
// include path; os/arch/aarch64/cpu_relax.h is the same for aarch64.
#pragma once

#if !defined(__x86_64__)
#error "os/arch/x86_64/cpu_relax.h: built for another CPU"
#endif

namespace green {

// pause: tells the core it is a spin-wait loop (saves power, and the memory
// order mis-speculation when the lock is released).
inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace green

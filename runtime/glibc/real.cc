#include "glibc/real.h"

#include <dlfcn.h>

#include "os/check.h"

namespace real {

static void* lookup(const char* name, const char* version) {
  void* f = version ? dlvsym(RTLD_NEXT, name, version) : nullptr;
  if (!f) f = dlsym(RTLD_NEXT, name);
  if (!f) green::fatal("libgreen: cannot find libc's %s", name);
  return f;
}

#define GREEN_SYM_V(name, ret, params, version)                              \
  name##_fn name##_ptr = nullptr;                                            \
  name##_fn resolve_##name() {                                               \
    auto f = reinterpret_cast<name##_fn>(lookup(#name, version));            \
    __atomic_store_n(&name##_ptr, f, __ATOMIC_RELAXED);                      \
    return f;                                                                \
  }
#define GREEN_SYM(name, ret, params) GREEN_SYM_V(name, ret, params, nullptr)
#include "shim/interpose.def"

void* optional_sym(const char* name) { return dlsym(RTLD_DEFAULT, name); }

void resolve_all() {
#define GREEN_SYM(name, ret, params) resolve_##name();
#include "shim/interpose.def"
}

}  // namespace real

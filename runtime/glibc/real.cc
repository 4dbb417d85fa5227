#include "glibc/real.h"

#include <dlfcn.h>

#include <cerrno>
#include <type_traits>

#include "os/check.h"

namespace real {

// What an interposer reaches when this glibc lacks the function (newer than
// the oldest supported glibc, e.g. epoll_pwait2 before 2.35): fails with
// ENOSYS, as a libc without it would: -1 (or a null pointer) in the return
// register, what a caller of an integer- (pointer-) returning function sees.
extern "C" long green_missing_libc_function() {
  errno = ENOSYS;
  return -1;
}
extern "C" void* green_missing_libc_function_ptr() {
  errno = ENOSYS;
  return nullptr;
}

static void* lookup(const char* name, const char* version, bool returns_pointer) {
  void* f = version ? dlvsym(RTLD_NEXT, name, version) : nullptr;
  if (!f) f = dlsym(RTLD_NEXT, name);
  if (!f)
    f = returns_pointer ? reinterpret_cast<void*>(&green_missing_libc_function_ptr)
                        : reinterpret_cast<void*>(&green_missing_libc_function);
  return f;
}

#define GREEN_SYM_V(name, ret, params, version)                              \
  name##_fn name##_ptr = nullptr;                                            \
  name##_fn resolve_##name() {                                               \
    auto f = reinterpret_cast<name##_fn>(lookup(#name, version, std::is_pointer_v<ret>)); \
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

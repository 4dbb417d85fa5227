// tls_layout.cc: learns glibc's thread layout (tls_layout.h) from what glibc
// exports: ld.so's TLS entry points and static TLS size, the descriptor
// description it keeps for libthread_db (_thread_db_*), its rseq
// registration (__rseq_offset, __rseq_size) and libc's PT_TLS segment.
//
// glibc 2.31 to 2.33 (Debian 11): the _thread_db_* descriptions are LOCAL
// symbols of libpthread.so.0, read from its file's .symtab (elf_symtab.h);
// there is no rseq registration before 2.35 (__rseq_offset is missing):
// rseq is then off. Every fact that is read is then checked on the calling
// thread's live descriptor (check_live): a mismatch is a missing fact.
#include "glibc/tls_layout.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>

#include <cstdint>

#include "glibc/elf_symtab.h"
#include "glibc/real.h"
#include "os/check.h"
#include "os/sys.h"
#include "tls/thread_pointer.h"

namespace green {

constinit TlsLayout g_tls_layout;

namespace {

const char* g_missing = nullptr;  // the first fact this glibc does not export

template <class T>
T lookup(const char* name) {
  void* p = dlsym(RTLD_DEFAULT, name);
  if (!p && !g_missing) g_missing = name;
  return reinterpret_cast<T>(p);
}

template <class T>
T lookup_optional(const char* name) {
  return reinterpret_cast<T>(dlsym(RTLD_DEFAULT, name));
}

// A _thread_db_* description of `size` bytes: exported by libc from glibc
// 2.34 on; before, a LOCAL symbol of libpthread.so.0 (or of libc.so.6, in
// case a build kept it there), read from the file's .symtab.
const uint32_t* lookup_thread_db(const char* name, size_t size) {
  if (void* p = dlsym(RTLD_DEFAULT, name)) return static_cast<const uint32_t*>(p);
  static const char* const kLibs[] = {"libpthread.so.0", "libc.so.6"};
  for (const char* lib : kLibs) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (!h) continue;
    link_map* lm = nullptr;
    const void* p = nullptr;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm) p = elf_symtab_object(lm->l_name, lm->l_addr, name, size);
    dlclose(h);
    if (p) return static_cast<const uint32_t*>(p);
  }
  if (!g_missing) g_missing = name;
  return nullptr;
}

// The facts on the calling thread's own descriptor (glibc's pthread_self()
// is its address on every architecture): its thread id is the kernel's,
// its list links are a ring through it, and its size and field offsets
// are plausible (the static TLS size counts the descriptor on x86-64 but
// not on aarch64, so it bounds nothing here). nullptr, or the fact that
// failed.
const char* check_live(const TlsLayout& l) {
  if (l.desc_size < 256 || l.desc_size > 64 * 1024)
    return "a plausible _thread_db_sizeof_pthread";
  if (l.tid_offset + sizeof(pid_t) > l.desc_size || l.list_offset + sizeof(ListLink) > l.desc_size ||
      l.tid_offset % alignof(pid_t) != 0 || l.list_offset % alignof(ListLink) != 0)
    return "_thread_db_pthread_* offsets inside the descriptor";
  auto desc = reinterpret_cast<char*>(REAL(pthread_self)());
  if (*reinterpret_cast<pid_t*>(desc + l.tid_offset) != sys::gettid())
    return "a _thread_db_pthread_tid that matches the running thread";
  auto link = reinterpret_cast<ListLink*>(desc + l.list_offset);
  if (!link->next || !link->prev || link->next->prev != link || link->prev->next != link)
    return "a _thread_db_pthread_list that matches the running thread";
  return nullptr;
}

int find_libc_tls(dl_phdr_info* info, size_t, void* arg) {
  auto base = static_cast<ElfW(Addr)*>(arg);
  if (info->dlpi_addr != *base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_TLS || !info->dlpi_tls_data) continue;
    g_tls_layout.libc_offset = static_cast<char*>(info->dlpi_tls_data) - tp_get();
    g_tls_layout.libc_size = ph.p_memsz;
    g_tls_layout.libc_image = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    g_tls_layout.libc_image_size = ph.p_filesz;
  }
  return 1;
}

void learn_libc_block() {
  Dl_info di{};
  GREEN_CHECK(dladdr(reinterpret_cast<void*>(&gnu_get_libc_version), &di) != 0, "dladdr(libc)");
  auto base = reinterpret_cast<ElfW(Addr)>(di.dli_fbase);
  dl_iterate_phdr(find_libc_tls, &base);
}

}  // namespace

const char* tls_layout_init() {
  static bool done = false;
  static const char* missing = nullptr;
  if (done) return missing;
  done = true;
  TlsLayout& l = g_tls_layout;
  auto info = lookup<void (*)(size_t*, size_t*)>("_dl_get_tls_static_info");
  l.allocate_tls = lookup<void* (*)(void*)>("_dl_allocate_tls");
  l.deallocate_tls = lookup<void (*)(void*, bool)>("_dl_deallocate_tls");
  l.ctype_init = lookup<void (*)()>("__ctype_init");
  // {bits, count, offset} for a field, one word for a size (glibc's
  // nptl_db/structs.def).
  auto desc_size = lookup_thread_db("_thread_db_sizeof_pthread", sizeof(uint32_t));
  auto tid = lookup_thread_db("_thread_db_pthread_tid", 3 * sizeof(uint32_t));
  auto list = lookup_thread_db("_thread_db_pthread_list", 3 * sizeof(uint32_t));
  auto rseq_offset = lookup_optional<const ptrdiff_t*>("__rseq_offset");  // glibc 2.35+
  auto rseq_size = lookup_optional<const unsigned int*>("__rseq_size");
  if (g_missing) return missing = g_missing;
  info(&l.static_size, &l.static_align);
  l.desc_size = *desc_size;
  l.tid_offset = tid[2];
  l.list_offset = list[2];
  l.rseq = rseq_offset && rseq_size && *rseq_size != 0;  // no rseq registration before 2.35
  l.rseq_offset = l.rseq ? *rseq_offset : 0;
  if (l.static_align < 16) l.static_align = 16;
  if (const char* bad = check_live(l)) return missing = bad;
  learn_libc_block();
  if (l.libc_size == 0) return missing = "libc's PT_TLS block";
  return nullptr;
}

}  // namespace green

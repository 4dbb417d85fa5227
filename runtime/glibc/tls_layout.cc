// tls_layout.cc: learns glibc's thread layout (tls_layout.h) from what glibc
// exports: ld.so's TLS entry points and static TLS size, the descriptor
// description it keeps for libthread_db (_thread_db_*), its rseq
// registration (__rseq_offset, __rseq_size) and libc's PT_TLS segment.
#include "glibc/tls_layout.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>

#include <cstdint>

#include "os/check.h"
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
  auto desc_size = lookup<const uint32_t*>("_thread_db_sizeof_pthread");
  auto tid = lookup<const uint32_t*>("_thread_db_pthread_tid");
  auto list = lookup<const uint32_t*>("_thread_db_pthread_list");
  auto rseq_offset = lookup<const ptrdiff_t*>("__rseq_offset");  // glibc 2.35+
  auto rseq_size = lookup<const unsigned int*>("__rseq_size");
  if (g_missing) return missing = g_missing;
  info(&l.static_size, &l.static_align);
  l.desc_size = *desc_size;
  l.tid_offset = tid[2];
  l.list_offset = list[2];
  l.rseq_offset = *rseq_offset;
  l.rseq = *rseq_size != 0;
  if (l.static_align < 16) l.static_align = 16;
  learn_libc_block();
  if (l.libc_size == 0) return missing = "libc's PT_TLS block";
  return nullptr;
}

}  // namespace green

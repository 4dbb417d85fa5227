// elf_symtab.cc: elf_symtab.h, on the file mapped read-only.
#include "glibc/elf_symtab.h"

#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "os/sys.h"

namespace green {

namespace {

struct Mapped {
  const unsigned char* p = nullptr;
  size_t size = 0;
  ~Mapped() {
    if (p) sys::call(SYS_munmap, p, size);
  }
};

bool map_file(const char* path, Mapped* m) {
  int fd = sys::openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  long end = sys::call(SYS_lseek, fd, 0, SEEK_END);
  long p = end > 0 ? sys::call(SYS_mmap, nullptr, end, PROT_READ, MAP_PRIVATE, fd, 0) : -1;
  sys::close(fd);
  if (p < 0 && p >= -4095) return false;  // -errno (os/sys.h)
  m->p = reinterpret_cast<const unsigned char*>(p);
  m->size = static_cast<size_t>(end);
  return true;
}

struct Range {
  unsigned long base, lo, hi;  // [lo, hi): a readable PT_LOAD segment's addresses
  bool found;
};

// Whether [addr, addr + size) lies in one readable PT_LOAD segment of the
// object loaded at r->base.
int in_segment(dl_phdr_info* info, size_t, void* arg) {
  auto r = static_cast<Range*>(arg);
  if (info->dlpi_addr != r->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_R)) continue;
    unsigned long lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_filesz;
    if (r->lo >= lo && r->hi <= hi) r->found = true;
  }
  return 1;
}

}  // namespace

const void* elf_symtab_object(const char* path, unsigned long base, const char* name, size_t size) {
  Mapped m;
  if (!path || !*path || !map_file(path, &m)) return nullptr;
  if (m.size < sizeof(ElfW(Ehdr))) return nullptr;
  auto eh = reinterpret_cast<const ElfW(Ehdr)*>(m.p);
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff == 0 ||
      eh->e_shoff + size_t(eh->e_shnum) * sizeof(ElfW(Shdr)) > m.size)
    return nullptr;
  auto sh = reinterpret_cast<const ElfW(Shdr)*>(m.p + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
    const ElfW(Shdr)& strs = sh[sh[i].sh_link];
    if (sh[i].sh_offset + sh[i].sh_size > m.size || strs.sh_offset + strs.sh_size > m.size) return nullptr;
    auto syms = reinterpret_cast<const ElfW(Sym)*>(m.p + sh[i].sh_offset);
    size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
    auto str = reinterpret_cast<const char*>(m.p + strs.sh_offset);
    size_t len = strlen(name);
    for (size_t k = 0; k < n; k++) {
      const ElfW(Sym)& s = syms[k];
      if (ELF64_ST_TYPE(s.st_info) != STT_OBJECT || s.st_size != size || s.st_shndx == SHN_UNDEF) continue;
      if (s.st_name + len + 1 > strs.sh_size || memcmp(str + s.st_name, name, len + 1) != 0) continue;
      Range r{base, base + s.st_value, base + s.st_value + size, false};
      dl_iterate_phdr(in_segment, &r);
      return r.found ? reinterpret_cast<const void*>(r.lo) : nullptr;
    }
  }
  return nullptr;
}

}  // namespace green

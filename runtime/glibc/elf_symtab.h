// elf_symtab.h: a local symbol of a loaded shared object, found in the
// full symbol table (.symtab) of the file it was loaded from.
//
// Why: glibc before 2.34 keeps the descriptor description it writes for
// libthread_db (_thread_db_sizeof_pthread, _thread_db_pthread_tid...) in
// libpthread.so.0 as LOCAL symbols: dlsym cannot see them, only a debugger
// reading the file's .symtab can, which is why distributions ship
// libpthread unstripped (Debian 11 does). tls_layout.cc reads them so.
//
// Threading and ownership: no state; each call opens the file, maps it
// read-only, searches and unmaps it before returning. Raw system calls only
// (os/sys.h): it runs from tcb_init(), at start-up, on the first thread.
#pragma once

#include <cstddef>

namespace green {

// The run-time address (load base + st_value) of the LOCAL or GLOBAL data
// object `name` of `size` bytes in the object loaded from `path` at `base`,
// or nullptr when the file has no .symtab, no such object, or the address
// would lie outside the object's loaded, readable segments (a file replaced
// on disk since it was loaded): the caller treats the fact as missing.
const void* elf_symtab_object(const char* path, unsigned long base, const char* name, size_t size);

}  // namespace green

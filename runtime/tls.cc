// tls.cc: the main executable's static TLS block, one copy per green thread.
//
// Why: __thread / thread_local / Rust #[thread_local] variables live in a
// block the dynamic linker gives each OS thread, so the green threads of a
// hub would share one copy. Rust's std keeps its current-thread handle there
// and aborts ("current thread handle already set during thread spawn") when a
// second thread starts on the same OS thread; C programs see shared counters.
//
// What is per green thread: ONLY the main executable's static TLS block
// (module 1; its PT_TLS segment). It holds the variables of the program and
// of everything linked statically into it (Rust's std, a static libstdc++).
// The TLS of shared libraries stays per OS thread: libc (errno is saved per
// switch in hub.cc), libstdc++ (its exception globals too), libgreen itself
// and any other .so. A program whose thread_locals live in a shared library
// still sees one copy per hub: a documented limitation.
//
// How: the block's address is a fixed offset from the thread pointer in every
// OS thread (static TLS: x86-64's variant II puts it below %fs:0, aarch64's
// variant I above tpidr_el0), so one dl_iterate_phdr() at start-up gives the
// image and the offset. Each green thread has a save area of p_memsz bytes,
// filled from the image (.tdata, then zeros for .tbss) at spawn, like a new
// OS thread's block. The block holds the values of exactly one green thread
// of the hub, hub->tls_owner; the hub swaps lazily when it resumes another
// (tls_enter): owner's values -> owner's area, the resumed thread's area ->
// block. An ending owner just gives the block up (its values are dead).
// The adopted first thread of an OS thread owns the live block from the
// start; its area is used once another green thread takes the block.
//
// Consequence (documented limitation): a thread_local's ADDRESS is the same
// in every green thread of a hub, only its value differs. Code that uses that
// address as a thread identity takes the green threads of a hub for one
// thread: Rust's std::sync::mpsc (mpmc/waker.rs current_thread_id()) then
// never hands a blocked peer on the same hub a message or a slot, so a
// sync_channel(0) rendezvous deadlocks and blocked receivers wake only on
// timeout or disconnect. A pointer to a thread_local handed to another
// thread reads whichever green thread's values the block holds.
//
// INV-TLS1: while a green thread runs, its hub's block holds its values.
// INV-TLS2: the runtime's own thread_locals (t_hub, t_passthrough) are per OS
// thread. They are in the executable's block only when the runtime is linked
// statically into it (the unit tests, not libgreen.so); tls_switch() keeps
// their values across the swap. A new runtime thread_local must be added
// there too.
//
// Cost: nothing measurable when the executable has no PT_TLS (most C
// programs): one load and branch per resume. Otherwise two memcpy of p_memsz
// per switch between different green threads: measured with a sched_yield
// ping-pong, about +10 ns per switch for 128 bytes (the Rust test programs'
// block is 120), +30 ns for 1 KiB, +280 ns for 8 KiB.
//
// Rejected: carving the save area from the top of the pooled stack (saves a
// malloc per spawn, but shrinks the stack pthread_getattr_np reports and
// ties the area to the stack's lifetime, which ends on the hub after exit);
// switching the thread pointer per green thread (wrfsbase), which would also
// give each one distinct addresses: glibc reads its struct pthread
// %fs-relative (THREAD_GETMEM), and other threads write the real one
// (cancellation, setxid, dlopen's gscope flag), so every green thread would
// need a full, kept-in-sync copy of its OS thread's descriptor and static
// TLS.
#include "tls.h"

#include <link.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "check.h"
#include "passthrough.h"

namespace green {

constinit TlsImage g_tls;

static char* thread_pointer() {
  char* tp = nullptr;
#if defined(__x86_64__)
  asm("mov %%fs:0, %0" : "=r"(tp));
#elif defined(__aarch64__)
  asm("mrs %0, tpidr_el0" : "=r"(tp));
#endif
  return tp;
}

// dl_iterate_phdr reports the executable first; its dlpi_tls_data is the
// calling thread's block.
static int find_exe_tls(dl_phdr_info* info, size_t, void* arg) {
  auto img = static_cast<TlsImage*>(arg);
  char* tp = thread_pointer();
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_TLS || ph.p_memsz == 0 || !info->dlpi_tls_data || !tp) continue;
    img->size = ph.p_memsz;
    img->init_size = ph.p_filesz;
    img->init = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    img->tp_offset = static_cast<char*>(info->dlpi_tls_data) - tp;
  }
  return 1;
}

void tls_init() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  TlsImage img;
  dl_iterate_phdr(find_exe_tls, &img);
  g_tls = img;
}

void tls_hub_init(Hub* h, Green* adopted) {
  if (g_tls.size == 0) return;
  h->tls_block = thread_pointer() + g_tls.tp_offset;
  h->tls_owner = adopted;
  if (!adopted) return;
  adopted->tls_area = malloc(g_tls.size);
  GREEN_CHECK(adopted->tls_area, "out of memory for the adopted thread's TLS area");
}

int tls_area_new(Green* g) {
  if (g_tls.size == 0) return 0;
  auto area = static_cast<char*>(malloc(g_tls.size));
  if (!area) return -ENOMEM;
  memcpy(area, g_tls.init, g_tls.init_size);
  memset(area + g_tls.init_size, 0, g_tls.size - g_tls.init_size);
  g->tls_area = area;
  return 0;
}

void tls_area_free(Hub* h, Green* g) {
  if (h->tls_owner == g) h->tls_owner = nullptr;
  free(g->tls_area);
  g->tls_area = nullptr;
}

// INV-TLS2: the runtime's per-OS-thread values survive the copy.
void tls_switch(Hub* h, Green* g) {
  Hub* hub = t_hub;
  int passthrough = t_passthrough;
  if (h->tls_owner) memcpy(h->tls_owner->tls_area, h->tls_block, g_tls.size);
  memcpy(h->tls_block, g->tls_area, g_tls.size);
  h->tls_owner = g;
  t_hub = hub;
  t_passthrough = passthrough;
}

bool tls_holds(const void* addr) {
  Hub* h = t_hub;
  if (!h || !h->tls_block) return false;
  auto p = static_cast<const char*>(addr);
  return p >= h->tls_block && p < h->tls_block + g_tls.size;
}

}  // namespace green

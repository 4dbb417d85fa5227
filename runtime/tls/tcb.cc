// tcb.cc: a thread control block and static TLS for every green thread.
//
// Why: compiled code and libc find a thread's __thread / thread_local
// variables, errno, its malloc cache, its C++ exception stack and its locale
// through the thread pointer. Were it the OS thread's for all the green
// threads of a hub, they would share one copy of each: Rust's std keeps its
// current-thread handle there, its mpsc channels tell threads apart by the
// ADDRESS of a thread_local, C++ nests catch blocks on the exception stack.
// So every green thread gets what glibc gives a new OS thread (nptl's
// allocate_stack): a descriptor (struct pthread) and the static TLS blocks
// of every module, at the top of its stack, and the hub moves the thread
// pointer at each switch (sched/hub.cc; thread_pointer.h: wrfsbase, a few
// ns).
//
// Layout (glibc's, per architecture: tls/arch/<cpu>/tls_arch.h; sizes and
// offsets from glibc itself at start-up: glibc/tls_layout.h):
//   x86-64 (TLS variant II): tp -> descriptor, whose first words are tcb,
//     dtv, self; the static TLS blocks lie below tp. Region
//     [tp - reserve, tp + desc).
//   aarch64 (variant I): tp -> {dtv, private}; the blocks above tp, the
//     descriptor just below. Region [tp - desc, tp + reserve).
// reserve: the static TLS in use (INV-TCB3). The stack proper starts below
// the region; descriptor and blocks (about 2.5 KiB) share its top page.
//
// What a block holds:
//   - TLS of every module, initialised from its image by glibc's own
//     _dl_allocate_tls (which also makes the DTV, so __tls_get_addr and
//     dlopen()ed modules work per green thread);
//   - the descriptor, copied from the OS thread's at the first resume
//     (tcb_bind, on the hub's thread): the thread id, the stack-protector
//     and pointer-mangling guards, CET state. Fixed up: the self pointers,
//     the rseq cpu id (-1: sched_getcpu asks the kernel, the copy would be
//     stale), multiple_threads (x86-64 glibc 2.36 skips malloc's locks when
//     0; set on the OS thread's descriptor too, as a libuv pool thread may
//     start later);
//   - libc's malloc cache (tcache) and arena pointer shared with the OS
//     thread: glibc frees a thread's cache only in its own thread exit
//     path, so a cache per green thread would leak at every green exit.
//     Green threads of one OS thread never run inside malloc at the same
//     time, so sharing it is safe. The two slots are found at start-up by a
//     probe (glibc/malloc_slots.cc); if the probe fails each green thread
//     gets its own cache and a warning says it leaks;
//   - the runtime's own per-OS-thread variable t_hub, seeded (INV-TCB2).
//
// INV-TCB1: while a green thread runs, the thread pointer is its g->tp;
// the hub runs on the last one's (h->cur_tp), or the OS thread's own (h->tp)
// after a green thread ended, whose block is gone with its stack.
// INV-TCB2: the runtime's thread_locals are per green thread like any
// other; t_hub is seeded with the green thread's hub, t_passthrough and
// signal_delivery's counter start at 0 as in a new thread.
//
// Not per green thread (README, limitations): what other threads read from
// the OS thread's real descriptor: dlclose() waiting for lookups in flight
// (gscope flag), setxid broadcasts by glibc's own setuid family; gdb's
// thread list (libthread_db) shows OS threads only.
//
// Rejected: swapping the executable's TLS values in and out of the OS
// thread's block at each switch (until 11/2026): addresses stayed shared,
// so Rust's mpsc sync_channel(0) deadlocked, and shared libraries' TLS
// (libstdc++'s exception stack) needed special cases.
#include "tls/tcb.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "glibc/malloc_slots.h"
#include "glibc/tls_layout.h"
#include "os/check.h"
#include "os/sys.h"
#include "sched/machine.h"
#include "sched/passthrough.h"
#include "tls/align.h"
#include "tls/thread_pointer.h"
#include "tls_arch.h"  // tls/arch/<cpu>/: the layout math of this CPU

namespace green {

namespace {

// What tcb_init() learnt beside glibc's layout (glibc/tls_layout.h):
// read-only afterwards.
long g_hub_offset = 0;  // of t_hub from tp

// Static TLS bytes a block reserves beside the descriptor: the most any
// block's modules used so far (tcb_new; INV-TCB3). Kept current by
// tcb_new() when a dlopen() changes the static TLS.
std::atomic<size_t> g_reserve{0};
std::atomic<bool> g_surplus_warned{false};

// As glibc does, the block is carved from the stack the program sized: a
// program with a lot of static TLS may need bigger green stacks than its
// 8 MiB native ones made obvious. Said once.
void report_too_small(size_t stack, size_t block) {
  static std::atomic<bool> said{false};
  if (said.exchange(true)) return;
  report(
          "libgreen: a %zu KiB green stack cannot hold the program's %zu KiB of thread-local "
          "storage and 8 KiB of stack; raise GREEN_STACK_SIZE or the size passed to "
          "pthread_attr_setstacksize",
          stack / 1024, (block + 1023) / 1024);
}

// INV-TCB3: a block reserves the static TLS its modules use, learnt from
// the first block made and grown when a block shows more: glibc's surplus
// (about 1.6 KiB, for libraries dlopen()ed later with initial-exec TLS) is
// left to the stack until such a library uses it, which saves a page per
// green thread. Blocks made before it have no room for its variables:
// warned about once.
bool grow_reserve(size_t used) {
  size_t cur = g_reserve.load(std::memory_order_relaxed);
  if (used <= cur) return false;
  while (used > cur && !g_reserve.compare_exchange_weak(cur, used)) {
  }
  if (cur != 0 && !g_surplus_warned.exchange(true))
    report(
            "libgreen: warning: a library loaded with dlopen() uses initial-exec TLS; green "
            "threads started before it must not call it");
  return true;
}

// Copies the OS thread's descriptor (at real) into the block at tp.
void copy_descriptor(char* tp, char* real) {
  const TlsLayout& l = tls_layout();
  copy_descriptor_words(tp, real);
  mark_multithreaded(tp);
  // Not in glibc's thread lists: the copied links name the OS thread's.
  auto link = reinterpret_cast<void**>(descriptor(tp) + l.list_offset);
  link[0] = link[1] = link;
  if (l.rseq) reinterpret_cast<int32_t*>(tp + l.rseq_offset)[1] = -1;  // cpu_id
}

// The block tcb_init()'s malloc-slot probe runs on (glibc/malloc_slots.h):
// the whole static TLS reserved, the descriptor as tcb_bind() copies it.
char* probe_block(char* hi) {
  char *tp, *lo;
  place(hi, full_reserve(), &tp, &lo);
  GREEN_CHECK(tls_layout().allocate_tls(tp) != nullptr, "_dl_allocate_tls");
  copy_descriptor(tp, tp_get());
  return tp;
}

}  // namespace

const char* tcb_init() {
  static std::atomic<bool> done{false};
  static const char* missing = nullptr;
  if (done.exchange(true)) return missing;
  PassThrough pt;
  tp_init();
  if ((missing = tls_layout_init())) return missing;
  g_hub_offset = reinterpret_cast<char*>(&t_hub) - tp_get();
  g_reserve.store(initial_reserve(), std::memory_order_relaxed);
  probe_malloc_slots(probe_block);
  return nullptr;
}

int tcb_new(Green* g, char* stack_lo, char* stack_hi, char** stack_top) {
  char *tp, *lo;
  place(stack_hi, g_reserve.load(std::memory_order_relaxed), &tp, &lo);
  constexpr size_t kMinStack = 8192;
  if (lo < stack_lo + kMinStack) {
    report_too_small(stack_hi - stack_lo, stack_hi - lo);
    return -ENOMEM;
  }
  if (!tls_layout().allocate_tls(tp)) return -ENOMEM;
  if (grow_reserve(static_tls_used(tp))) {  // it wrote below lo: place it again
    tls_layout().deallocate_tls(tp, false);
    return tcb_new(g, stack_lo, stack_hi, stack_top);
  }
  g->tp = tp;
  g->own_tcb = true;
  g->tcb_bound = false;
  *stack_top = align_down(lo, 64);
  return 0;
}

void tcb_machine_init(Machine* m) {
  const TlsLayout& l = tls_layout();
  char* real = tp_get();
  if (l.tcache_slot < 0) return;
  if (!*libc_slot(real, l.tcache_slot)) free(malloc(1));  // the OS thread's cache exists
  m->tcache = *libc_slot(real, l.tcache_slot);
  m->arena = *libc_slot(real, l.arena_slot);
}

bool tcb_bound_to(char* tp, const Machine* m) {
  return *reinterpret_cast<pid_t*>(descriptor(tp) + tls_layout().tid_offset) == m->tid;
}

void tcb_rebind(char* tp, const Machine* m) {
  const TlsLayout& l = tls_layout();
  *reinterpret_cast<pid_t*>(descriptor(tp) + l.tid_offset) = m->tid;
  if (l.tcache_slot < 0) return;
  *libc_slot(tp, l.tcache_slot) = m->tcache;
  *libc_slot(tp, l.arena_slot) = m->arena;
}

void tcb_set_hub(char* tp, Hub* h) { *reinterpret_cast<Hub**>(tp + g_hub_offset) = h; }

void tcb_bind_block(Green* g, char* real, const Machine* m, Hub* h) {
  copy_descriptor(g->tp, real);
  tcb_rebind(g->tp, m);
  tcb_set_hub(g->tp, h);
  mark_multithreaded(real);
  g->tcb_bound = true;
}

void tcb_bind(Hub* h, Green* g) { tcb_bind_block(g, h->tp, h->m.load(std::memory_order_relaxed), h); }

// glibc's start_thread points a new thread's ctype tables (isdigit,
// toupper, printf's number formatting) at its locale's.
void tcb_thread_start() { tls_layout().ctype_init(); }

void tcb_free(Green* g) {
  if (!g->own_tcb) return;
  tls_layout().deallocate_tls(g->tp, false);
  g->own_tcb = false;
  g->tp = nullptr;
}

void tcb_adopt(Hub* h, Green* g) {
  h->tp = h->cur_tp = tp_get();
  if (!g) return;
  g->tp = h->tp;
  g->own_tcb = false;
  g->tcb_bound = true;
}

// fork(2) ran on g's block: glibc gave that descriptor the child's thread id
// and put it in its thread list in place of the OS thread's (its copied
// links named no neighbour). The OS thread's descriptor takes both back, as
// the hub runs on it.
void tcb_after_fork(Hub* h, Green* g) {
  const TlsLayout& l = tls_layout();
  pid_t tid = sys::gettid();
  *reinterpret_cast<pid_t*>(descriptor(h->tp) + l.tid_offset) = tid;
  if (!g || !g->own_tcb) return;
  *reinterpret_cast<pid_t*>(descriptor(g->tp) + l.tid_offset) = tid;
  auto mine = reinterpret_cast<ListLink*>(descriptor(g->tp) + l.list_offset);
  auto real = reinterpret_cast<ListLink*>(descriptor(h->tp) + l.list_offset);
  if (mine->next == mine) return;
  *real = *mine;
  real->next->prev = real;
  real->prev->next = real;
  mine->next = mine->prev = mine;
}

}  // namespace green

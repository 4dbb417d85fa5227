// green_life.cc: a green thread's life: spawn, exit, join, detach, and the
// accessors of green.h. A Green belongs to its home hub; its join state is
// shared between OS threads under join_lock (green_thread.h).
#include "sched/hub.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/config.h"
#include "os/check.h"
#include "sched/passthrough.h"
#include "tls/tcb.h"

namespace green {

// ---- green thread lifecycle ----

// The magic is cleared so a stale pthread_t is not taken for a live thread.
static void release_green(Green* g) {
  g->magic = 0;
  delete g;
}



// The bottom of every spawned green thread's stack: the probe's unwinding
// (handoff.cc) stops at it (green_entry_start()).
__attribute__((noinline)) static void green_entry(void* arg) {
  auto g = static_cast<Green*>(arg);
  tcb_thread_start();
  exit_current(g->fn(g->arg));
}

uintptr_t green_entry_start() { return reinterpret_cast<uintptr_t>(&green_entry); }

void exit_current(void* result) {
  Hub* h = this_hub();
  Green* g = h->running;
  GREEN_CHECK(g, "exit_current outside a green thread");
  g->result = result;
  if (ExitHook hook = exit_hook()) hook(g);
  g->state = GreenState::kExiting;
  use_block(h, h->tp);  // g's block goes with its stack
  context_switch(&g->ctx, &h->ctx);
  fatal("libgreen: internal error: an exited green thread was resumed");
}

// Hub side of a green thread's end: its stack is free once we are off it.
// After join_lock is released the joiner may delete g at any time.
void finish_exit(Hub* h, Green* g) {
  tcb_free(g);
  if (g->stack.map) h->stacks.put(g->stack);
  g->stack = Stack{};
  h->remove_green(g);
  h->placed.fetch_sub(1, std::memory_order_relaxed);
  g->join_lock.lock();
  g->state = GreenState::kDead;
  g->finished = true;
  bool detached = g->detached;
  Green* joiner = g->joiner;
  uint64_t joiner_seq = g->joiner_seq;
  g->join_lock.unlock();
  if (detached) release_green(g);
  else if (joiner) wake(joiner, joiner_seq, 0);
  if (live_greens_add(-1) == 0) exit(0);  // the last thread ended: exit(0) as natively
}

static int choose_hub(const SpawnAttr& attr, Hub** out) {
  Hub* h = attr.hub >= 0 ? hub_at(attr.hub) : pick_hub_for_spawn(this_hub());
  if (!h) return -EINVAL;
  *out = h;
  return 0;
}

int spawn(void* (*fn)(void*), void* arg, const SpawnAttr& attr, Green** out) {
  adopt_current_thread();
  Hub* h = nullptr;
  if (int rc = choose_hub(attr, &h)) return rc;
  auto g = new (std::nothrow) Green;
  if (!g) return -EAGAIN;
  size_t size = attr.stack_size ? attr.stack_size : config().stack_size;
  Hub* alloc_hub = this_hub();  // stacks come from the caller's pool (hub thread only)
  int rc = alloc_hub->stacks.get(size, attr.guard_size, &g->stack);
  if (rc) {
    delete g;
    return rc == -ENOMEM ? -EAGAIN : rc;
  }
  char* stack_top = nullptr;
  if (tcb_new(g, g->stack.lo(), g->stack.hi(), &stack_top) != 0) {
    alloc_hub->stacks.put(g->stack);
    delete g;
    return -EAGAIN;
  }
  g->id = next_green_id();
  g->hub = h;
  h->placed.fetch_add(1, std::memory_order_relaxed);
  g->fn = fn;
  g->arg = arg;
  g->detached = attr.detached;
  context_make(&g->ctx, g->stack.lo(), stack_top - g->stack.lo(), green_entry, g);
  live_greens_add(1);
  if (attr.prepare) attr.prepare(g, attr.prepare_arg);
  *out = g;
  if (h == this_hub()) {
    h->add_green(g);
    h->runq_push(g);
  } else {
    g->state = GreenState::kNew;
    h->inbox.push(g);
    PassThrough pt;
    uv_async_send(&h->inbox_async);
  }
  return 0;
}

int join(Green* t, void** result) { return join_until(t, result, kForever); }

// A timed-out joiner takes its registration back under join_lock; a wake
// finish_exit() sent before that is stale by then (park_seq moved on).
int join_until(Green* t, void** result, Nanos deadline) {
  Green* me = current();
  if (t == me) return -EDEADLK;
  t->join_lock.lock();
  if (t->detached || (t->joiner && t->joiner != me)) {
    t->join_lock.unlock();
    return -EINVAL;
  }
  if (!t->finished) {
    if (!me) {
      t->join_lock.unlock();
      return -EBUSY;  // callers on native threads poll (shim/thread/thread.cc)
    }
    t->joiner = me;
    t->joiner_seq = park_seq(me);
    t->join_lock.unlock();
    // Interruptible: pthread_join is a cancellation point (thread/cancel.h).
    int r = park_until(WaitReason::kJoin, deadline, true);
    if (r == -ETIMEDOUT || r == -EINTR) {
      SpinGuard g(t->join_lock);
      if (!t->finished) {
        t->joiner = nullptr;
        return r;
      }
    }
  } else {
    t->join_lock.unlock();
  }
  if (result) *result = t->result;
  release_green(t);
  return 0;
}

int try_join(Green* t, void** result) {
  t->join_lock.lock();
  bool busy = !t->finished;
  bool invalid = t->detached || t->joiner;
  t->join_lock.unlock();
  if (invalid) return -EINVAL;
  if (busy) return -EBUSY;
  return join(t, result);
}

int detach(Green* t) {
  t->join_lock.lock();
  if (t->detached || t->joiner) {
    t->join_lock.unlock();
    return -EINVAL;
  }
  t->detached = true;
  bool finished = t->finished;
  t->join_lock.unlock();
  if (finished) release_green(t);
  return 0;
}

Green* green_from_handle(const void* handle) {
  auto g = static_cast<Green*>(const_cast<void*>(handle));
  return g && g->magic == kGreenMagic ? g : nullptr;
}
void*& posix_data(Green* g) { return g->posix_data; }

void for_each_green_here(void (*fn)(Green* g, void* arg), void* arg) {
  for (Green* g = this_hub()->all; g; g = g->all_next) fn(g, arg);
}
unsigned long hub_os_thread(const Green* g) { return g->hub->os_thread; }
int home_hub_index(const Green* g) { return g->hub->index; }
bool on_this_hub(const Green* g) { return g->hub == this_hub(); }
bool green_detached(const Green* g) { return g->detached; }
bool green_finished(const Green* g) { return g->finished; }

uint64_t green_id(const Green* g) { return g->id; }
const char* green_name(const Green* g) { return g->name; }
void set_green_name(Green* g, const char* name) {
  strncpy(g->name, name, sizeof g->name - 1);
  g->name[sizeof g->name - 1] = '\0';
}
void green_stack(const Green* g, void** lo, size_t* size, size_t* guard) {
  *lo = g->stack.lo();
  *size = g->stack.usable();
  if (guard) *guard = g->stack.guard;
}

}  // namespace green

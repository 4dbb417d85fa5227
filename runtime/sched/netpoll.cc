#include "sched/netpoll.h"
#include "os/sys.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include "os/check.h"
#include "os/high_fd.h"
#include "os/spinlock.h"
#include "sched/hub.h"
#include "sched/netpoll_hub.h"
#include "sched/steal.h"

namespace green {

struct FdWaiter {
  Green* g;
  uint64_t seq;
  int events;
  FdWaiter* prev = nullptr;
  FdWaiter* next = nullptr;
  bool linked = false;
};

struct FdWatch {
  int fd;                       // fd for the real calls (INV-FD1)
  bool orphan = false;          // fd is our private dup; the program closed its number
  bool armed = false;           // registered in the hub's epoll for fd at generation gen (INV-FD2)
  uint32_t gen = 0;
  int refs = 0;                 // FdRefs pinning this watch
  FdWaiter* waiters = nullptr;
};

// Registers w's fd in the hub's epoll unless it already is for the file the
// number names now (INV-FD2). The caller read gen before this epoll_ctl: a
// close racing with it leaves the watch armed at an old generation. An
// orphan's fd is our private dup, which nothing else closes: its
// registration holds until the orphan goes.
static int arm(Hub* h, FdWatch* w, uint32_t gen) {
  if (w->armed && (w->orphan || w->gen == gen)) return 0;
  int rc = netpoll_register(h, w->fd, w);
  w->armed = rc == 0;
  w->gen = gen;
  return rc;
}

static void link_waiter(FdWatch* w, FdWaiter* x) {
  x->prev = nullptr;
  x->next = w->waiters;
  if (w->waiters) w->waiters->prev = x;
  w->waiters = x;
  x->linked = true;
}

static void unlink_waiter(FdWatch* w, FdWaiter* x) {
  if (!x->linked) return;
  if (x->prev) x->prev->next = x->next;
  else w->waiters = x->next;
  if (x->next) x->next->prev = x->prev;
  x->linked = false;
}

// Which hubs have a watch for each fd number (a bit per hub, hubs from 63
// on share bit 63): netpoll_close asks those. Numbers past the table ask
// every hub. Each hub sets and clears its own bit.
constexpr int kTrackedFds = 1 << 16;
static std::atomic<uint64_t> g_watching[kTrackedFds];

static uint64_t hub_bit(const Hub* h) { return uint64_t(1) << (h->index < 63 ? h->index : 63); }

static uint64_t watching(int fd) {
  return fd < kTrackedFds ? g_watching[fd].load(std::memory_order_acquire) : ~uint64_t{0};
}

static FdWatch* watch_for(Hub* h, int fd) {
  if (fd < 0) return nullptr;
  if (static_cast<size_t>(fd) >= h->watches.size()) h->watches.resize(fd + 64, nullptr);
  FdWatch*& slot = h->watches[fd];
  if (!slot) {
    slot = new FdWatch{fd};
    if (fd < kTrackedFds) g_watching[fd].fetch_or(hub_bit(h), std::memory_order_release);
  }
  return slot;
}

FdRef::FdRef(int fd, uint32_t gen) : w_(nullptr), fd_(fd), gen_(gen) {}

// Drops one pin; an orphan (the program closed its number) dies with its
// last pin, closing our private dup.
static void release_watch(FdWatch* w) {
  if (--w->refs == 0 && w->orphan) {
    netpoll_unregister(this_hub(), w->fd);
    own_fd_remove(w->fd);
    sys::close(w->fd);
    delete w;
  }
}

FdRef::~FdRef() {
  if (w_) release_watch(w_);
}

int FdRef::fd() const { return w_ ? w_->fd : fd_; }

// Registers on the first wait and again only after the number was closed or
// reused (arm, INV-FD2).
int FdRef::wait(int events, Nanos deadline) {
  Hub* h = this_hub();
  Green* g = h->running;
  if (!w_) {
    w_ = watch_for(h, fd_);
    if (!w_) return -EBADF;
    w_->refs++;
  }
  int rc = arm(h, w_, gen_);
  if (rc) return rc;
  FdWaiter x{g, park_seq(g), events};
  link_waiter(w_, &x);
  g->wait_fd = fd_;
  g->wait_nfds = 1;
  // A steal (steal.h) unlinks the waiter and drops the pin on the old hub's
  // watch; the next wait pins the new hub's. Not an orphan's: its private
  // dup stays with its hub (INV-FD1).
  struct Undo : StealUndo {
    FdRef* ref;
    FdWaiter* x;
  } undo;
  undo.undo = [](Hub*, Green*, StealUndo* self) {
    auto u = static_cast<Undo*>(self);
    FdWatch* w = u->ref->w_;
    if (w->orphan) return false;
    unlink_waiter(w, u->x);
    w->refs--;
    u->ref->w_ = nullptr;
    return true;
  };
  undo.early_result = events;  // a wait that ends early: the caller retries its call
  undo.ref = this;
  undo.x = &x;
  if (g_steal) g->steal_undo = &undo;  // nothing to declare when no hub steals
  int r = park_until(events & POLLOUT ? WaitReason::kIoWrite : WaitReason::kIoRead, deadline, true);
  g->steal_undo = nullptr;
  g->wait_fd = -1;
  if (w_) unlink_waiter(w_, &x);
  return r;
}

int wait_any(const FdInterest* fds, size_t n, Nanos deadline) {
  Hub* h = this_hub();
  Green* g = h->running;
  std::vector<FdWaiter> waiters(n, FdWaiter{g, park_seq(g), 0});
  std::vector<FdWatch*> watches(n, nullptr);
  for (size_t i = 0; i < n; i++) {
    FdWatch* w = watch_for(h, fds[i].fd);
    if (!w || arm(h, w, fds[i].gen) != 0) continue;
    w->refs++;
    watches[i] = w;
    waiters[i].events = fds[i].events;
    link_waiter(w, &waiters[i]);
  }
  g->wait_fd = n ? fds[0].fd : -1;
  g->wait_nfds = static_cast<uint32_t>(n);
  // A steal (steal.h) unlinks every waiter and drops every pin first.
  struct Undo : StealUndo {
    std::vector<FdWaiter>* waiters;
    std::vector<FdWatch*>* watches;
  } undo;
  undo.undo = [](Hub*, Green*, StealUndo* self) {
    auto u = static_cast<Undo*>(self);
    auto& ws = *u->watches;
    for (FdWatch* w : ws)
      if (w && w->orphan) return false;
    for (size_t i = 0; i < ws.size(); i++) {
      if (!ws[i]) continue;
      unlink_waiter(ws[i], &(*u->waiters)[i]);
      ws[i]->refs--;
      ws[i] = nullptr;
    }
    return true;
  };
  undo.early_result = POLLIN;  // poll, select, waitpid: they look again and wait again
  undo.waiters = &waiters;
  undo.watches = &watches;
  if (g_steal) g->steal_undo = &undo;
  int r = park_until(WaitReason::kIoRead, deadline, true);
  g->steal_undo = nullptr;
  g->wait_fd = -1;
  for (size_t i = 0; i < n; i++) {
    if (!watches[i]) continue;
    unlink_waiter(watches[i], &waiters[i]);
    release_watch(watches[i]);
  }
  return r;
}

// Dispatcher side: an epoll event for w. Hub context.
void netpoll_dispatch(FdWatch* w, uint32_t ev) {
  int bits = static_cast<int>(ev) & (POLLIN | POLLOUT | POLLPRI | POLLERR | POLLHUP | POLLRDHUP);
  if (bits & POLLRDHUP) bits |= POLLIN;
  for (FdWaiter* x = w->waiters; x;) {
    FdWaiter* next = x->next;
    int hit = bits & (x->events | POLLERR | POLLHUP);
    if (hit) {
      unlink_waiter(w, x);
      wake(x->g, x->seq, hit);
    }
    x = next;
  }
}

// Private dups go high (os/high_fd.h), so the program's own next fd
// numbers stay the ones it would get natively.
static int private_fd_base() { return high_fd_base(); }

// The waiters' stacks belong to green threads that did not survive the fork;
// watches stay, disarmed: the new epoll has no registrations. Orphans are
// reachable only from those waiters' FdRefs: their dups stay open, CLOEXEC.
int netpoll_fork_child(Hub* h) {
  for (FdWatch* w : h->watches)
    if (w) {
      w->waiters = nullptr;
      w->refs = 0;
      w->armed = false;
    }
  return netpoll_reopen(h);
}

// Hub h forgets its watch for fd (h's context, or a green thread of h).
static void close_on(Hub* h, int fd) {
  if (fd < 0 || static_cast<size_t>(fd) >= h->watches.size() || !h->watches[fd]) return;
  FdWatch* w = h->watches[fd];
  h->watches[fd] = nullptr;
  if (fd < kTrackedFds) g_watching[fd].fetch_and(~hub_bit(h), std::memory_order_release);
  netpoll_unregister(h, fd);
  if (w->refs == 0) {
    delete w;
    return;
  }
  int priv = sys::fcntl(fd, F_DUPFD_CLOEXEC, private_fd_base());
  if (priv < 0) priv = sys::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  GREEN_CHECK(priv >= 0, "no fd left to keep a waited-on file open across close()");
  own_fd_add(priv);
  w->fd = priv;
  w->orphan = true;
  w->armed = false;
  if (arm(h, w, 0) == 0) {
    // The waiters parked on the old number: re-check readiness on the dup.
    netpoll_dispatch(w, POLLIN | POLLOUT);
  }
}

struct FdCloseRequest {
  int fd;
  std::atomic<uint32_t> done{0};
  FdCloseRequest* next = nullptr;
};

void netpoll_serve_closes(Hub* h) {
  // A peek without the lock; a request pushed meanwhile comes with a wake.
  if (!__atomic_load_n(&h->fd_closes, __ATOMIC_ACQUIRE)) return;
  FdCloseRequest* list;
  {
    SpinGuard lock(h->fd_close_lock);
    list = h->fd_closes;
    h->fd_closes = nullptr;
  }
  while (list) {
    FdCloseRequest* next = list->next;
    close_on(h, list->fd);
    list->done.store(1, std::memory_order_release);
    sys::futex(&list->done, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    list = next;
  }
}

// Asks hub other to forget fd and waits until it has, serving the closes
// asked of our own hub (me, when a hub) meanwhile.
static void close_on_other(Hub* me, Hub* other, int fd) {
  FdCloseRequest req;
  req.fd = fd;
  {
    SpinGuard lock(other->fd_close_lock);
    req.next = other->fd_closes;
    other->fd_closes = &req;
  }
  uv_async_send(&other->inbox_async);
  const timespec slice{0, 200000};
  while (req.done.load(std::memory_order_acquire) == 0) {
    if (me) netpoll_serve_closes(me);
    sys::futex(&req.done, FUTEX_WAIT_PRIVATE, 0, &slice, nullptr, 0);
  }
}

void netpoll_close(int fd) {
  if (fd < 0) return;
  Hub* me = this_hub();
  uint64_t others = watching(fd) & ~(me ? hub_bit(me) : 0);
  if (others) {
    for (int i = 0, n = hub_count(); i < n; i++) {
      Hub* h = hub_at(i);
      if (h && h != me && (others & hub_bit(h))) close_on_other(me, h, fd);
    }
  }
  if (me) close_on(me, fd);
}

}  // namespace green


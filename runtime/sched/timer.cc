#include "sched/timer.h"
#include "os/high_fd.h"
#include "os/sys.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "os/check.h"

namespace green {

static void fire_park_timer(TimerNode* t) {
  auto p = static_cast<ParkTimer*>(t);
  wake(p->g, p->seq, p->result);
}

ParkTimer::ParkTimer(Green* g_, int result_) : g(g_), seq(park_seq(g_)), result(result_) {
  fire = fire_park_timer;
}

int Timers::init(uv_loop_t* loop) {
  tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tfd_ < 0) return -errno;
  tfd_ = fd_move_high(tfd_);
  int rc = uv_poll_init(loop, &poll_, tfd_);
  if (rc != 0) return rc;
  poll_.data = this;
  return uv_poll_start(&poll_, UV_READABLE, on_timerfd);
}

int Timers::fork_child(uv_loop_t* loop) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = sys::dup3(fd, tfd_, O_CLOEXEC);
  sys::close(fd);
  if (rc > 0) rc = 0;
  heap_.clear();
  armed_at_ = kForever;
  if (rc != 0) return rc;
  rc = uv_poll_init(loop, &poll_, tfd_);  // the old loop's poll_ is abandoned with it
  if (rc != 0) return rc;
  poll_.data = this;
  return uv_poll_start(&poll_, UV_READABLE, on_timerfd);
}

void Timers::add(TimerNode* t) {
  GREEN_CHECK(!t->armed(), "timer added twice");
  t->heap_index = heap_.size();
  heap_.push_back(t);
  sift_up(t->heap_index);
  if (heap_[0] == t) rearm();
}

void Timers::remove(TimerNode* t) {
  if (!t->armed()) return;
  size_t i = t->heap_index;
  size_t last = heap_.size() - 1;
  if (i != last) swap_nodes(i, last);
  heap_.pop_back();
  t->heap_index = SIZE_MAX;
  if (i < heap_.size()) {
    sift_down(i);
    sift_up(i);
  }
}

void Timers::on_timerfd(uv_poll_t* p, int, int) {
  auto self = static_cast<Timers*>(p->data);
  uint64_t expirations;
  while (sys::read(self->tfd_, &expirations, sizeof expirations) > 0) {
  }
  self->armed_at_ = kForever;
  self->fire_due();
}

// Fires every node whose deadline has passed, then re-arms for the next.
void Timers::fire_due() {
  Nanos t_now = now();
  while (!heap_.empty() && heap_[0]->deadline <= t_now) {
    TimerNode* t = heap_[0];
    remove(t);
    t->fire(t);
  }
  rearm();
}

// Arms the timerfd at the earliest deadline. Removing a node never disarms:
// an early expiry just finds nothing due, which is cheaper than a syscall per
// cancelled timeout.
void Timers::rearm() {
  if (heap_.empty()) return;
  Nanos d = heap_[0]->deadline;
  if (d >= armed_at_) return;
  if (d <= now()) d = now() + 1;
  itimerspec its{};
  its.it_value.tv_sec = d / 1000000000;
  its.it_value.tv_nsec = d % 1000000000;
  GREEN_CHECK(timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr) == 0, "timerfd_settime");
  armed_at_ = d;
}

void Timers::swap_nodes(size_t a, size_t b) {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->heap_index = a;
  heap_[b]->heap_index = b;
}

void Timers::sift_up(size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline <= heap_[i]->deadline) return;
    swap_nodes(i, parent);
    i = parent;
  }
}

void Timers::sift_down(size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_.size() && heap_[l]->deadline < heap_[m]->deadline) m = l;
    if (r < heap_.size() && heap_[r]->deadline < heap_[m]->deadline) m = r;
    if (m == i) return;
    swap_nodes(i, m);
    i = m;
  }
}

}  // namespace green

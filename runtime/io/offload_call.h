// offload_call.h: one libc call on libuv's thread pool, as if made here.
//
// green::offload parks the caller while a pool thread (a native thread:
// every interposer passes through there) runs the call. errno is per thread,
// so the caller's errno goes to the pool thread before the call and the
// pool thread's comes back after it: the program sees errno exactly as the
// call left it, on success too (some libc calls change it then).
//
// Not interruptible (green::offload): a signal handler runs, but the call
// finishes first. Pool threads are few (libuv's default is 4,
// UV_THREADPOOL_SIZE), so only calls that end on their own belong here:
// disk I/O, fsync, name-service lookups. Waits on another party (locks,
// FIFO peers) are made of non-blocking attempts instead (file_lock.cc,
// file_open.cc).
#pragma once

#include <cerrno>
#include <type_traits>

#include "green.h"

namespace green {

template <class F>
auto offload_call(F f) -> decltype(f()) {
  using R = decltype(f());
  struct Job {
    F* f;
    R result;
    int err;
  };
  Job job{&f, R{}, errno};
  green::offload(
      [](void* p) {
        auto j = static_cast<Job*>(p);
        errno = j->err;
        j->result = (*j->f)();
        j->err = errno;
      },
      &job);
  errno = job.err;
  return job.result;
}

}  // namespace green

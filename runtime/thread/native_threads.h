// native_threads.h: the OS threads this process created natively (libuv's
// pool, GREEN_NATIVE threads, threads started off a green thread), so a
// forked child can tell that a handle names a thread that does not exist in
// it. libuv's exit-time destructor joins its pool threads even in a fork
// child, where glibc has already reclaimed their memory: joining such a
// handle must return at once instead of reading freed memory.
#pragma once

#include <pthread.h>

namespace green {

// Threading: any thread. A full table stops recording (harmless: the guard
// then just does not apply to the extra threads).
void native_thread_created(pthread_t t);
void native_thread_joined(pthread_t t);
// True when t was created natively before a fork this process is the child
// of. Lock-free and syscall-free until a fork has happened.
bool native_thread_gone(pthread_t t);
// Fork child (process.cc): every thread recorded so far is gone.
void native_threads_after_fork();

}  // namespace green

// stdio.cc: stdio streams on sockets, pipes and terminals (DESIGN.md, "Known
// hard spots"). The entry points are in shim/stdio/read.cc and shim/stdio/write.cc;
// the per-FILE green lock in stdio_lock.h.
//
// The problem. glibc's stdio reads and writes its fd through internal
// __read/__write, never through the `read`/`write` symbols io.cc
// interposes, so fgets() on an idle socket would block the hub. And glibc's
// FILE lock names its owner by OS thread, so it cannot keep two green
// threads of one hub apart.
//
// The design: interpose stdio where the program calls it. For a byte-
// oriented FILE on a pollable fd, called from a green thread, each
// interposer
//   - holds the FILE's green lock (stdio_lock.h) for the whole call, parks
//     included: a call is atomic against every other green thread, as
//     flockfile(3) promises (INV-S1);
//   - is made of glibc calls each of which reads or writes the fd at most
//     once, and only after the fd was found ready (INV-S2); glibc's own lock
//     is held across each such call and never across a park (INV-S3).
// Reading: glibc refills a FILE with one read() of up to its buffer size,
// which returns what is there (_IO_new_file_underflow). fill() waits for
// POLLIN and then lets glibc make that read (__underflow, exported).
// fgets, getdelim and fread may refill many times, so they are loops of
// fill() and take() (taking bytes out of the get area: what the getc_unlocked
// macro of <stdio.h> does). fgetc & co. fill, then call glibc. scanf reads a
// private unbuffered fopencookie stream whose read function is fill()+take()
// on the program's FILE; the one byte of look-ahead scanf pushes back is
// handed back to the FILE with ungetc.
// Writing: put() feeds glibc's fwrite in chunks cut so that glibc makes at
// most one write() of at most PIPE_BUF (4096) bytes, and waits for POLLOUT
// before each chunk that makes one. The bound: after POLLOUT a write of at
// most PIPE_BUF bytes never blocks on a pipe (POLLOUT means a free slot,
// pipe(7)), nor on a Unix or TCP stream socket with default buffers
// (POLLOUT means a quarter, resp. a third, of the send buffer is free, well
// over 4096 bytes). A terminal can still hold such a write while its output
// is stopped (^S). Output beyond PIPE_BUF that the program put in the buffer
// itself (the putc_unlocked macro, a setvbuf buffer larger than PIPE_BUF) is
// flushed on the thread pool. The printf family formats with vsnprintf (the
// same bytes: %n and registered specifiers included), then put()s.
//
// The program's own view is kept: a FILE on an fd the program made
// non-blocking skips the wait, so glibc gets EAGAIN as natively;
// SO_RCVTIMEO/SO_SNDTIMEO end the wait, and the call fails with EAGAIN and
// the error flag as natively (a failed write drops the buffered output, as
// glibc does); a signal handler without SA_RESTART makes it fail with EINTR.
// The fd's flags never change (DESIGN rule 4). fileno() and read() on the
// same fd see exactly what they see natively: only glibc ever reads the fd,
// with its own buffer sizes (an unbuffered FILE reads one byte at a time).
//
// Pass-through: off green threads (native threads, the hub, signal handlers,
// before init), wide-oriented FILEs, FILEs without an fd (fmemopen,
// fopencookie) and on regular files and block devices (never "not ready":
// glibc reads them inline, README). A pass-through call on a green thread
// still waits while another green thread holds the FILE's green lock
// (a flockfile section), or it would walk into it (stdio_wait_unlocked).
//
// Rejected:
//  (b) giving the FILE jump table of our own: glibc >= 2.24 aborts on a
//      vtable outside its own (IO_validate_vtable), and the cookie jump table
//      needs a larger struct than fdopen and stdin/stdout have.
//  Making the fd O_NONBLOCK: other processes share stdin/stdout and
//      inherited pipes (rule 4).
//  Running every stdio call on the thread pool: its threads are few (4), and
//      a daemon's idle connections waiting in fgets would hold all of them.
//  Writing the buffered bytes ourselves with write() and resetting glibc's
//      pointers: glibc seeks whenever read_end != write_base at flush time,
//      so all of new_do_write's bookkeeping would have to be copied.
#include "io/stdio_file.h"

#include <limits.h>
#include <poll.h>
#include <stdio_ext.h>
#include <string.h>

#include <algorithm>
#include <cerrno>

#include "glibc/real.h"
#include "sched/passthrough.h"
#include "thread/cancel.h"
#include "io/fd_state.h"
#include "io/wait.h"
#include "sched/netpoll.h"
#include "io/offload_call.h"
#include "signal/signal_delivery.h"

namespace green::stdio {
namespace {

constexpr size_t kChunk = PIPE_BUF;

// Waits until fd is ready for events the way a blocking call on it waits.
// 0: make the call now (ready, hung up, an error the call will report, or
// the program's O_NONBLOCK); -EAGAIN: SO_RCVTIMEO/SO_SNDTIMEO passed;
// -EINTR: a signal handler without SA_RESTART ran. Keeps errno.
// A cancellation point, as glibc's read and write are: a pending or arriving
// pthread_cancel unwinds from here, where no glibc lock is held (INV-S3);
// the green locks of the FILEs go with the thread (stdio_on_green_exit).
int wait_ready(int fd, int events) {
  ErrnoKeeper keep;
  CancelPoint cp;
  if (ready_now(fd, events) != 0) return 0;
  BlockingWait w(fd_state(fd), events);
  if (w.program_nonblocking()) return 0;
  for (;;) {
    int x = w.wait();
    if (x == -EAGAIN || x == -EINTR) return x;
    if (x < 0 || ready_now(fd, events) != 0) return 0;  // else another green thread took it
  }
}

// What glibc does when its read fails: error flag, errno, EOF.
int fail(FILE* f, int neg_err) {
  {
    GlibcLock l(f);
    f->_flags |= kErrSeen;
  }
  errno = -neg_err;
  return EOF;
}

// What glibc does when its write fails: the buffered output is dropped.
int fail_write(FILE* f, int neg_err) {
  {
    GlibcLock l(f);
    __fpurge(f);
  }
  return fail(f, neg_err);
}

// Output in f's buffer not yet written. Under f's glibc lock.
size_t pending(const FILE* f) {
  if (!(f->_flags & kPutting) || f->_IO_write_ptr <= f->_IO_write_base) return 0;
  return static_cast<size_t>(f->_IO_write_ptr - f->_IO_write_base);
}

// glibc refills a line-buffered or unbuffered FILE only after writing out a
// line-buffered stdout (_IO_new_file_underflow); do that first, parking.
void flush_stdout_before_refill(FILE* f) {
  FILE* out = stdout;
  if (f == out || !(f->_flags & (kLineBuf | kUnbuffered))) return;
  if ((out->_flags & (kLinked | kNoWrites | kLineBuf)) != (kLinked | kLineBuf)) return;
  if (!take_green_path(out)) return;  // a file: glibc's write does not wait
  StdioLock l(out);
  size_t n;
  {
    GlibcLock g(out);
    n = pending(out);
  }
  if (n > 0) flush(out, true);
}

// How much of s (n > 0 bytes) the next fwrite may take so that glibc makes
// at most one write, of at most kChunk bytes (_IO_new_file_xsputn,
// _IO_new_file_overflow); *writes: whether it makes one. 0: flush first.
// Under f's glibc lock.
size_t next_chunk(FILE* f, const char* s, size_t n, bool* writes) {
  int fl = f->_flags;
  *writes = false;
  if (fl & kNoWrites) return n;  // fails at once (EBADF)
  if (fl & kUnbuffered) {
    *writes = true;
    return std::min(n, kChunk);
  }
  if (!(fl & kPutting) || !f->_IO_write_base) {  // glibc sets up its buffer
    *writes = (fl & kLineBuf) && s[0] == '\n';
    return 1;
  }
  char* end = f->_IO_buf_end;
  if (static_cast<size_t>(end - f->_IO_write_base) > kChunk) end = f->_IO_write_base + kChunk;
  if (f->_IO_write_ptr >= end) return 0;
  size_t c = std::min(n, static_cast<size_t>(end - f->_IO_write_ptr));
  if (!(fl & kLineBuf)) return c;
  auto nl = static_cast<const char*>(memchr(s, '\n', c));
  if (!nl) return c;
  *writes = true;  // glibc writes up to the chunk's last newline
  if (f->_IO_buf_end - f->_IO_buf_base < 128) c = static_cast<size_t>(nl - s) + 1;  // and a tiny buffer's rest directly
  return c;
}

}  // namespace

bool take_green_path(FILE* f) {
  if (!f || !green::intercepting()) return false;
  bool green = false;
  if (f->_mode <= 0 && f->_fileno >= 0) {
    ErrnoKeeper keep;
    green = fd_state(f->_fileno).pollable();
  }
  if (!green) stdio_wait_unlocked(f);
  return green;
}

void glibc_lock(FILE* f) {
  green::Nanos pause = 20000;
  while (REAL(ftrylockfile)(f) != 0) {
    green::sleep_until(green::now() + pause);
    pause = std::min<green::Nanos>(pause * 2, 1000000);
  }
}

GlibcLock::GlibcLock(FILE* f) : f_(f) { glibc_lock(f); }

GlibcLock::~GlibcLock() { REAL(funlockfile)(f_); }

size_t buffered(const FILE* f) {
  if (f->_IO_read_ptr >= f->_IO_read_end) return 0;
  return static_cast<size_t>(f->_IO_read_end - f->_IO_read_ptr);
}

int fill(FILE* f) {
  bool put_mode;
  {
    GlibcLock l(f);
    bool main_area_has_data = (f->_flags & kInBackup) && f->_IO_save_end > f->_IO_save_base;
    if (buffered(f) || (f->_flags & (kEofSeen | kNoReads)) || main_area_has_data)
      return REAL(__underflow)(f);  // reads nothing
    put_mode = pending(f) > 0;
  }
  if (put_mode && flush(f, false) == EOF) return EOF;  // glibc flushes before it reads
  flush_stdout_before_refill(f);
  if (int e = wait_ready(f->_fileno, POLLIN)) return fail(f, e);
  GlibcLock l(f);
  return REAL(__underflow)(f);
}

size_t take(FILE* f, char* dst, size_t max, int delim) {
  GlibcLock l(f);
  size_t n = std::min(buffered(f), max);
  const char* p = f->_IO_read_ptr;
  if (delim >= 0) {
    if (auto d = static_cast<const char*>(memchr(p, delim, n))) n = static_cast<size_t>(d - p) + 1;
  }
  memcpy(dst, p, n);
  f->_IO_read_ptr += n;
  return n;
}

size_t put(FILE* f, const char* s, size_t n) {
  size_t done = 0;
  bool flushed = false;
  while (done < n) {
    bool writes;
    size_t c;
    {
      GlibcLock l(f);
      c = next_chunk(f, s + done, n - done, &writes);
    }
    if (c == 0 && !flushed) {
      if (flush(f, true) == EOF) return done;
      flushed = true;
      continue;
    }
    if (c == 0) {  // no room even after a flush: not a state glibc leaves; one byte
      c = 1;
      writes = true;
    }
    flushed = false;
    if (writes) {
      if (int e = wait_ready(f->_fileno, POLLOUT)) {
        fail_write(f, e);
        return done;
      }
    }
    GlibcLock l(f);
    int old_error = f->_flags & kErrSeen;
    size_t w = REAL(fwrite)(s + done, 1, c, f);
    done += w;
    if (w < c || (!old_error && (f->_flags & kErrSeen))) return done;
  }
  return done;
}

int flush(FILE* f, bool overflow_eof) {
  auto call = [f, overflow_eof] {
    return overflow_eof ? REAL(__overflow)(f, EOF) : REAL(fflush)(f);
  };
  size_t n;
  {
    GlibcLock l(f);
    n = pending(f);
    if (n == 0) return call();
  }
  if (int e = wait_ready(f->_fileno, POLLOUT)) return fail_write(f, e);
  if (n > kChunk) return offload_call(call);  // glibc will write more than a pipe slot
  GlibcLock l(f);
  return call();
}

}  // namespace green::stdio

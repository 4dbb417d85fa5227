// zero_copy.cc: sendfile, splice, tee.
//
// Each moves bytes between two fds, and each side can block: a pipe that is
// empty or full, a socket with no data or a full send buffer, a file on a
// slow disk. The per-call non-blocking form, SPLICE_F_NONBLOCK, covers only
// the pipe sides: the kernel takes the socket side's blocking mode from the
// file's O_NONBLOCK (measured: splice from an empty blocking TCP socket with
// SPLICE_F_NONBLOCK sleeps; so does splice to a full one), which libgreen
// may not change (DESIGN rule 4). So:
//
//   pipe <-> pipe, file <-> pipe, tee
//       the call with SPLICE_F_NONBLOCK; on EAGAIN park on the side that
//       is not ready (the input pipe empty: POLLIN; else the output full:
//       POLLOUT), then again.
//   socket -> pipe
//       readiness first, then the call with SPLICE_F_NONBLOCK: with data
//       queued the socket's splice_read takes what is there and returns.
//   pipe -> socket
//       the pipe's bytes are looked at without taking them (tee into a
//       private pipe), sent with MSG_DONTWAIT, and only what the socket took
//       is then read out of the program's pipe. A failed or interrupted
//       send leaves the rest in the pipe, as natively.
//   sendfile file -> socket or pipe
//       file reads by the regular-file policy (file_io.cc) and write() of
//       what was read (io.cc: parks while the socket is full, honours
//       SO_SNDTIMEO, EINTR and SIGPIPE as natively); the offset, or the file
//       position, advances by what was sent. One copy through user space
//       instead of none (README, limitations).
//   sendfile file -> file: offloaded, like copy_file_range.
//
// When the program made a side non-blocking itself (O_NONBLOCK, or
// SPLICE_F_NONBLOCK for pipes) the real call runs and says EAGAIN as
// natively. The check-then-call steps are exact within this process (no
// other green thread of the hub runs in between); another process draining
// the same pipe or socket in that window can still make the call block.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "boundary.h"
#include "io/file_read.h"
#include "io/fd_view.h"
#include "io/wait.h"
#include "io/offload_call.h"
#include "io/user_memory.h"

namespace {

enum class Side { kPipe, kSocket, kFile, kOther, kBad };

Side side_of(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Side::kBad;
  if (S_ISFIFO(st.st_mode)) return Side::kPipe;
  if (S_ISSOCK(st.st_mode)) return Side::kSocket;
  if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return Side::kFile;
  return Side::kOther;
}

ssize_t neg(ssize_t r) { return r < 0 ? -errno : r; }

bool ready_now(int fd, int events) { return green::ready_now(fd, events) > 0; }

// Parks until fd reports events (or an error or hang-up). 0, -EINTR, or
// the wait error (-EPERM: the fd cannot be polled; the caller then makes
// the blocking call). The sides are pipes or sockets whose blocking mode the
// caller already looked at: a readiness wait.
int wait_for(int fd, int events) {
  green::BlockingWait w(green::fd_state(fd), events, green::BlockingWait::kReadiness);
  int x = w.wait();
  return x > 0 ? 0 : x;
}

bool user_nonblocking(int fd) { return green::user_nonblocking(green::fd_state(fd)); }

// A pipe-side-only call (SPLICE_F_NONBLOCK covers every side that can
// block): retried after parking on the side that is not ready.
template <class Call>
ssize_t pipe_call(int in, int out, bool user_nowait, Call call) {
  for (;;) {
    ssize_t r = call(SPLICE_F_NONBLOCK);
    if (r != -EAGAIN || user_nowait) return r;
    bool in_empty = in >= 0 && !ready_now(in, POLLIN);
    int w = in_empty ? wait_for(in, POLLIN) : wait_for(out, POLLOUT);
    if (w == -EINTR) return -EINTR;
    if (w < 0) return call(0);
  }
}

bool nonblocking_pipes(unsigned int flags, int in, int out) {
  return (flags & SPLICE_F_NONBLOCK) || user_nonblocking(in) || user_nonblocking(out);
}

// socket -> pipe: data (or EOF, or an error) first, then the call.
ssize_t splice_from_socket(int in, int out, size_t len, unsigned int flags) {
  bool pipe_nowait = (flags & SPLICE_F_NONBLOCK) || user_nonblocking(out);
  for (;;) {
    if (!ready_now(in, POLLIN)) {
      int w = wait_for(in, POLLIN);
      if (w == -EINTR) return -EINTR;
      if (w < 0) return neg(REAL(splice)(in, nullptr, out, nullptr, len, flags));
    }
    ssize_t r = neg(REAL(splice)(in, nullptr, out, nullptr, len, flags | SPLICE_F_NONBLOCK));
    if (r != -EAGAIN || pipe_nowait) return r;
    if (ready_now(in, POLLIN)) {  // the pipe is full
      int w = wait_for(out, POLLOUT);
      if (w == -EINTR) return -EINTR;
      if (w < 0) return neg(REAL(splice)(in, nullptr, out, nullptr, len, flags));
    }
  }
}

constexpr size_t kChunk = 64 * 1024;

// Sends buf[0, n) on a blocking socket the way splice_to_socket does:
// everything, parking while the send buffer is full; stops early only on
// an error, a signal or SO_SNDTIMEO (then what was sent). After each
// accepted piece buf[at, at + k), consume(at, k) takes it out of the source.
template <class Consume>
ssize_t send_peeked(int out, const char* buf, size_t n, int msg_flags, Consume consume) {
  size_t done = 0;
  green::BlockingWait w(green::fd_state(out), POLLOUT);
  while (done < n) {
    ssize_t s = neg(REAL(send)(out, buf + done, n - done, msg_flags | MSG_DONTWAIT));
    if (s > 0) {
      consume(done, static_cast<size_t>(s));
      done += static_cast<size_t>(s);
      continue;
    }
    if (s != -EAGAIN) return done ? static_cast<ssize_t>(done) : s;
    int x = w.wait();
    if (x == -EAGAIN || x == -EINTR) return done ? static_cast<ssize_t>(done) : x;
  }
  return static_cast<ssize_t>(done);
}

// pipe -> blocking socket (see the file comment).
ssize_t splice_to_socket(int in, int out, size_t len, unsigned int flags) {
  int priv[2];
  if (pipe2(priv, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
  char* buf = static_cast<char*>(malloc(kChunk));
  ssize_t r = buf ? 0 : -ENOMEM;
  if (buf) {
    size_t want = len < kChunk ? len : kChunk;
    r = pipe_call(in, priv[1], nonblocking_pipes(flags, in, in), [&](unsigned int nb) {
      return neg(REAL(tee)(in, priv[1], want, nb));
    });
  }
  if (r > 0) {
    ssize_t got = REAL(read)(priv[0], buf, static_cast<size_t>(r));
    int mf = (flags & SPLICE_F_MORE) ? MSG_MORE : 0;
    r = got != r ? -EIO : send_peeked(out, buf, static_cast<size_t>(got), mf, [&](size_t at, size_t k) {
      // Those bytes are still at the head of the program's pipe (tee saw
      // them), so this blocking read returns at once; it reads them back
      // over their own copy.
      REAL(read)(in, buf + at, k);
    });
  }
  free(buf);
  green::forget_fd(priv[0]);  // may have been waited on (INV-FD2)
  green::forget_fd(priv[1]);
  REAL(close)(priv[0]);
  REAL(close)(priv[1]);
  return r;
}

ssize_t green_splice(int in, loff_t* off_in, int out, loff_t* off_out, size_t len, unsigned int flags) {
  Side si = side_of(in), so = side_of(out);
  auto real = [&](unsigned int extra) { return neg(REAL(splice)(in, off_in, out, off_out, len, flags | extra)); };
  if (si == Side::kPipe && (so == Side::kPipe || so == Side::kFile))
    return pipe_call(in, out, nonblocking_pipes(flags, in, so == Side::kPipe ? out : in), real);
  if (si == Side::kFile && so == Side::kPipe)
    return pipe_call(-1, out, nonblocking_pipes(flags, out, out), real);
  if (si == Side::kSocket && so == Side::kPipe && !off_in && !off_out && !user_nonblocking(in))
    return splice_from_socket(in, out, len, flags);
  if (si == Side::kPipe && so == Side::kSocket && !off_in && !off_out && !user_nonblocking(out) &&
      len > 0)
    return splice_to_socket(in, out, len, flags);
  return real(0);  // errors, non-blocking sockets, devices (README, limitations)
}

// sendfile to a pollable fd: file reads then write() (see the file comment).
ssize_t sendfile_copy(int out, int in, off_t* offset, size_t count) {
  off_t pos;
  if (offset) {
    if (green::copy_in(&pos, offset, sizeof pos)) return -EFAULT;
  } else {
    pos = lseek(in, 0, SEEK_CUR);
    if (pos < 0) return -errno;
  }
  char* buf = static_cast<char*>(malloc(kChunk));
  if (!buf) return -ENOMEM;
  size_t done = 0;
  ssize_t err = 0;
  while (done < count) {
    size_t want = count - done < kChunk ? count - done : kChunk;
    iovec v{buf, want};
    ssize_t k = green::file_readv(in, &v, 1, pos);
    if (k <= 0) {
      err = k;
      break;
    }
    ssize_t s = write(out, buf, static_cast<size_t>(k));
    if (s < 0) {
      err = -errno;
      break;
    }
    done += static_cast<size_t>(s);
    pos += s;
    if (s < k) break;  // a signal or SO_SNDTIMEO cut the write short
  }
  free(buf);
  if (done == 0 && err < 0) return err;
  if (offset) {
    if (green::copy_out(offset, &pos, sizeof pos)) return -EFAULT;
  } else {
    lseek(in, pos, SEEK_SET);
  }
  return static_cast<ssize_t>(done);
}

ssize_t green_sendfile(int out, int in, off_t* offset, size_t count) {
  Side si = side_of(in), so = side_of(out);
  if (si == Side::kFile && (so == Side::kFile || so == Side::kOther))
    return green::offload_call([&] { return neg(REAL(sendfile)(out, in, offset, count)); });
  if (si != Side::kFile || so == Side::kBad || user_nonblocking(out) || count == 0)
    return neg(REAL(sendfile)(out, in, offset, count));
  if (count > 0x7ffff000) count = 0x7ffff000;  // MAX_RW_COUNT, as the kernel caps it
  return sendfile_copy(out, in, offset, count);
}

}  // namespace

GREEN_EXPORT ssize_t sendfile(int out, int in, off_t* offset, size_t count) {
  if (!green::intercepting()) return REAL(sendfile)(out, in, offset, count);
  ssize_t r;
  {
    green::ErrnoKeeper keep;  // attempts that said EAGAIN before it succeeded
    r = green_sendfile(out, in, offset, count);
  }
  return shim::syscall_ret(r);
}

GREEN_EXPORT ssize_t sendfile64(int out, int in, off64_t* offset, size_t count) {
  if (!green::intercepting()) return REAL(sendfile64)(out, in, offset, count);
  return sendfile(out, in, offset, count);
}

GREEN_EXPORT ssize_t splice(int in, loff_t* off_in, int out, loff_t* off_out, size_t len, unsigned int flags) {
  if (!green::intercepting()) return REAL(splice)(in, off_in, out, off_out, len, flags);
  ssize_t r;
  {
    green::ErrnoKeeper keep;  // attempts that said EAGAIN before it succeeded
    r = green_splice(in, off_in, out, off_out, len, flags);
  }
  return shim::syscall_ret(r);
}

GREEN_EXPORT ssize_t tee(int in, int out, size_t len, unsigned int flags) {
  if (!green::intercepting()) return REAL(tee)(in, out, len, flags);
  ssize_t r;
  {
    green::ErrnoKeeper keep;  // attempts that said EAGAIN before it succeeded
    r = pipe_call(in, out, nonblocking_pipes(flags, in, out),
                  [&](unsigned int nb) { return neg(REAL(tee)(in, out, len, flags | nb)); });
  }
  return shim::syscall_ret(r);
}

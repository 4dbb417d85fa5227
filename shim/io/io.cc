// io.cc: read/write and the socket send/receive family.
//
// Each interposer passes through off green threads; on a green thread it is
// block_on() (runtime/io/wait.h) over a non-blocking attempt, with the fd
// state read once (runtime/io/fd_state.h):
//   read/write/readv/writev  preadv2/pwritev2 with RWF_NOWAIT: per call, so
//                            the file description's flags never change
//                            (DESIGN rule 4); where the file does not support
//                            it (EOPNOTSUPP: ttys, eventfds), readiness then
//                            the call
//   recv*/send*              the same call with MSG_DONTWAIT
// Reads of regular files and block devices: file_io.cc (page cache inline,
// the rest on the pool); their writes run inline.
// A blocking write of n bytes to a pipe or a stream socket natively returns
// only when all n are written (or a signal or timeout cuts it short), so the
// write family loops over partial writes (write_all()).
#include <sys/uio.h>

#include <climits>
#include <cstring>
#include <vector>

#include "boundary.h"
#include "io/fd_view.h"
#include "io/wait.h"
#include "thread/cancel.h"
#include "io/file_read.h"
#include "io/user_memory.h"

namespace {

ssize_t neg(ssize_t r) { return r < 0 ? -errno : r; }
bool unsupported(int e) { return e == EOPNOTSUPP || e == ENOSYS; }

// No RWF_NOWAIT (a FIFO, a tty): poll decides, unless the program made the
// description non-blocking: then the real call cannot block and its answer
// is the native one. poll is not: a FIFO opened O_NONBLOCK that never had a
// writer polls not-ready (no POLLHUP before a first writer) yet read()
// returns 0, end of file.
ssize_t readv_attempt(const green::FdState& st, int fd, const iovec* iov, int n, bool may_block) {
  if (may_block) return neg(REAL(readv)(fd, iov, n));
  ssize_t r = REAL(preadv2)(fd, iov, n, -1, RWF_NOWAIT);
  if (r >= 0 || !unsupported(errno)) return neg(r);
  if (green::user_nonblocking(st)) return neg(REAL(readv)(fd, iov, n));
  return green::when_ready(fd, POLLIN, [&] { return neg(REAL(readv)(fd, iov, n)); });
}

ssize_t writev_attempt(int fd, const iovec* iov, int n, bool may_block) {
  if (may_block) return neg(REAL(writev)(fd, iov, n));
  ssize_t r = REAL(pwritev2)(fd, iov, n, -1, RWF_NOWAIT);
  if (r >= 0 || !unsupported(errno)) return neg(r);
  return green::when_ready(fd, POLLOUT, [&] { return neg(REAL(writev)(fd, iov, n)); });
}

// Drops the first `done` bytes from an iovec array (a private copy).
void advance(std::vector<iovec>& v, size_t& first, size_t done) {
  while (done > 0 && first < v.size()) {
    size_t take = done < v[first].iov_len ? done : v[first].iov_len;
    v[first].iov_base = static_cast<char*>(v[first].iov_base) + take;
    v[first].iov_len -= take;
    done -= take;
    if (v[first].iov_len == 0) first++;
  }
}

size_t total_len(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; i++) t += iov[i].iov_len;
  return t;
}

// Keeps writing after a partial write, as a blocking write does. chunk(iov,
// n) is one block_on() over what is left; a failure after some progress
// returns the progress, as natively.
// The iovecs are read only after the kernel accepted them (a bad pointer
// is the kernel's EFAULT, not our crash).
template <class Chunk>
ssize_t write_all(const green::FdState& st, const iovec* iov, int n, Chunk chunk) {
  ssize_t r = chunk(iov, n);
  if (r < 0) return r;
  size_t want = total_len(iov, n);
  if (static_cast<size_t>(r) >= want) return r;
  if (!st.pollable() || green::user_nonblocking(st)) return r;
  std::vector<iovec> rest(iov, iov + n);
  size_t first = 0, done = 0;
  while (r >= 0) {
    done += static_cast<size_t>(r);
    if (done >= want || r == 0) break;
    advance(rest, first, static_cast<size_t>(r));
    r = chunk(rest.data() + first, static_cast<int>(rest.size() - first));
  }
  return done > 0 ? static_cast<ssize_t>(done) : r;
}

// A count no iovec can hold (> SSIZE_MAX): natively read/write fail at once
// (EBADF, EINVAL, or EFAULT from access_ok), never block; as an iovec it
// would be EINVAL instead.
bool beyond_iovec(size_t n) { return n > static_cast<size_t>(SSIZE_MAX); }

// Total length of the program's iovecs, read through copy_in (a bad pointer
// is the kernel's to report); -1 when they cannot be read or are too many
// to look at here.
ssize_t safe_total(const iovec* iov, size_t n) {
  iovec v[16];
  if (n > 16 || green::copy_in(v, iov, n * sizeof v[0])) return -1;
  size_t t = 0;
  for (size_t i = 0; i < n; i++) t += v[i].iov_len;
  return static_cast<ssize_t>(t);
}

// A blocking zero-length receive on a TCP socket waits natively for any
// wake-up (data, a signal) and then returns 0: the kernel's loop ends with
// nothing left to copy instead of failing with EINTR.
bool tcp_socket(int fd) {
  int proto = 0;
  socklen_t len = sizeof proto;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 && proto == IPPROTO_TCP;
}

ssize_t zero_length_tcp(int fd, ssize_t r) { return r == -EINTR && tcp_socket(fd) ? 0 : r; }

bool stream_socket(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

}  // namespace

// A zero-length read never waits natively (0, or the file's own answer:
// EINVAL from an eventfd or timerfd), while an iovec of length 0 would be 0
// for every file: it is the real call.
GREEN_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  if (!green::intercepting() || n == 0 || beyond_iovec(n)) return REAL(read)(fd, buf, n);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  iovec v{buf, n};
  if (st.kind() == green::FdKind::kFile) return shim::syscall_ret(green::file_readv(fd, &v, 1, -1));
  return shim::syscall_ret(green::block_on(st, POLLIN, false, [&](int f, bool mb) {
    return mb ? neg(REAL(read)(f, buf, n)) : readv_attempt(st, f, &v, 1, false);
  }));
}

GREEN_EXPORT ssize_t readv(int fd, const iovec* iov, int n) {
  if (!green::intercepting()) return REAL(readv)(fd, iov, n);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  if (st.kind() == green::FdKind::kFile) return shim::syscall_ret(green::file_readv(fd, iov, n, -1));
  return shim::syscall_ret(green::block_on(st, POLLIN, false, [&](int f, bool mb) {
    return readv_attempt(st, f, iov, n, mb);
  }));
}

GREEN_EXPORT ssize_t writev(int fd, const iovec* iov, int n) {
  if (!green::intercepting() || n <= 0 || safe_total(iov, static_cast<size_t>(n)) == 0)
    return REAL(writev)(fd, iov, n);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  return shim::syscall_ret(write_all(st, iov, n, [&](const iovec* v, int k) {
    return green::block_on(st, POLLOUT, false, [&](int f, bool mb) { return writev_attempt(f, v, k, mb); });
  }));
}

// A zero-length write never waits natively (it reports what the file says:
// 0, EPIPE, ENOTCONN...), while the non-blocking attempt would answer 0 for
// any file (RWF_NOWAIT): it is the real call.
GREEN_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (!green::intercepting() || n == 0 || beyond_iovec(n)) return REAL(write)(fd, buf, n);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  iovec v{const_cast<void*>(buf), n};
  return shim::syscall_ret(write_all(st, &v, 1, [&](const iovec* w, int k) {
    return green::block_on(st, POLLOUT, false, [&](int f, bool mb) {
      return mb && k == 1 ? neg(REAL(write)(f, w->iov_base, w->iov_len)) : writev_attempt(f, w, k, mb);
    });
  }));
}

GREEN_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* len) {
  if (!green::intercepting()) return REAL(recvfrom)(fd, buf, n, flags, from, len);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  bool nowait = flags & MSG_DONTWAIT;
  auto once = [&](char* b, size_t k) {
    return green::block_on(st, POLLIN, nowait, [&](int f, bool mb) {
      return neg(REAL(recvfrom)(f, b, k, mb ? flags : flags | MSG_DONTWAIT, from, len));
    });
  };
  ssize_t r = once(static_cast<char*>(buf), n);
  if (n == 0 && !nowait) r = zero_length_tcp(fd, r);
  if (!(flags & MSG_WAITALL) || nowait || r <= 0 || static_cast<size_t>(r) >= n || !stream_socket(fd))
    return shim::syscall_ret(r);
  size_t done = static_cast<size_t>(r);
  while (done < n) {
    r = once(static_cast<char*>(buf) + done, n - done);
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

GREEN_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!green::intercepting()) return REAL(recv)(fd, buf, n, flags);
  green::CancelPoint cp;
  return recvfrom(fd, buf, n, flags, nullptr, nullptr);
}

GREEN_EXPORT ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (!green::intercepting()) return REAL(recvmsg)(fd, msg, flags);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  ssize_t r = green::block_on(st, POLLIN, flags & MSG_DONTWAIT, [&](int f, bool mb) {
    return neg(REAL(recvmsg)(f, msg, mb ? flags : flags | MSG_DONTWAIT));
  });
  msghdr m;
  if (r == -EINTR && !(flags & MSG_DONTWAIT) && !green::copy_in(&m, msg, sizeof m) &&
      (m.msg_iovlen == 0 || safe_total(m.msg_iov, m.msg_iovlen) == 0))
    r = zero_length_tcp(fd, r);
  return shim::syscall_ret(r);
}

GREEN_EXPORT int recvmmsg(int fd, mmsghdr* v, unsigned int n, int flags, timespec* timeout) {
  if (!green::intercepting() || timeout) return REAL(recvmmsg)(fd, v, n, flags, timeout);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  return static_cast<int>(shim::syscall_ret(green::block_on(st, POLLIN, flags & MSG_DONTWAIT, [&](int f, bool mb) {
    return neg(REAL(recvmmsg)(f, v, n, mb ? flags : flags | MSG_DONTWAIT, nullptr));
  })));
}

GREEN_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t len) {
  if (!green::intercepting() || n == 0) return REAL(sendto)(fd, buf, n, flags, to, len);  // as write
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  bool nowait = flags & MSG_DONTWAIT;
  iovec v{const_cast<void*>(buf), n};
  return shim::syscall_ret(write_all(st, &v, nowait ? 0 : 1, [&](const iovec* w, int k) {
    const iovec& c = k ? *w : v;
    return green::block_on(st, POLLOUT, nowait, [&](int f, bool mb) {
      return neg(REAL(sendto)(f, c.iov_base, c.iov_len, mb ? flags : flags | MSG_DONTWAIT, to, len));
    });
  }));
}

GREEN_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!green::intercepting()) return REAL(send)(fd, buf, n, flags);
  green::CancelPoint cp;
  return sendto(fd, buf, n, flags, nullptr, 0);
}

GREEN_EXPORT ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (!green::intercepting()) return REAL(sendmsg)(fd, msg, flags);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  bool nowait = flags & MSG_DONTWAIT;
  msghdr m;
  if (green::copy_in(&m, msg, sizeof m)) return shim::syscall_ret(-EFAULT);
  if (m.msg_iovlen == 0 || safe_total(m.msg_iov, m.msg_iovlen) == 0) return REAL(sendmsg)(fd, msg, flags);  // as write
  return shim::syscall_ret(write_all(st, msg->msg_iov, nowait ? 0 : static_cast<int>(msg->msg_iovlen),
                                     [&](const iovec* w, int k) {
    if (k) {
      m.msg_iov = const_cast<iovec*>(w);
      m.msg_iovlen = static_cast<size_t>(k);
    }
    ssize_t r = green::block_on(st, POLLOUT, nowait, [&](int f, bool mb) {
      return neg(REAL(sendmsg)(f, &m, mb ? flags : flags | MSG_DONTWAIT));
    });
    m.msg_control = nullptr;  // ancillary data goes with the first chunk only
    m.msg_controllen = 0;
    return r;
  }));
}

GREEN_EXPORT int sendmmsg(int fd, mmsghdr* v, unsigned int n, int flags) {
  if (!green::intercepting()) return REAL(sendmmsg)(fd, v, n, flags);
  green::CancelPoint cp;
  green::FdState st = green::fd_state(fd);
  return static_cast<int>(shim::syscall_ret(green::block_on(st, POLLOUT, flags & MSG_DONTWAIT, [&](int f, bool mb) {
    return neg(REAL(sendmmsg)(f, v, n, mb ? flags : flags | MSG_DONTWAIT));
  })));
}

// preadv2/pwritev2 at the file position (offset -1) without flags are readv
// and writev, as the kernel makes them: the same waits. Any other form
// cannot wait on a pipe or socket (an offset: ESPIPE; RWF_NOWAIT; a flag the
// file does not support: EOPNOTSUPP) or is a regular file's, inline.
GREEN_EXPORT ssize_t preadv2(int fd, const iovec* iov, int n, off_t off, int flags) {
  if (!green::intercepting() || off != -1 || flags != 0) return REAL(preadv2)(fd, iov, n, off, flags);
  return readv(fd, iov, n);
}

GREEN_EXPORT ssize_t preadv64v2(int fd, const iovec* iov, int n, off64_t off, int flags) {
  if (!green::intercepting() || off != -1 || flags != 0) return REAL(preadv64v2)(fd, iov, n, off, flags);
  return readv(fd, iov, n);
}

GREEN_EXPORT ssize_t pwritev2(int fd, const iovec* iov, int n, off_t off, int flags) {
  if (!green::intercepting() || off != -1 || flags != 0) return REAL(pwritev2)(fd, iov, n, off, flags);
  return writev(fd, iov, n);
}

GREEN_EXPORT ssize_t pwritev64v2(int fd, const iovec* iov, int n, off64_t off, int flags) {
  if (!green::intercepting() || off != -1 || flags != 0) return REAL(pwritev64v2)(fd, iov, n, off, flags);
  return writev(fd, iov, n);
}

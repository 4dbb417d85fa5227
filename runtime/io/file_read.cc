// file_read.cc: regular files and block devices: reads, and the policy for
// the rest of their calls (the interposers: shim/file/file_io.cc).
//
// A regular file (or block device) is never "not ready": poll says ready
// and epoll refuses it (EPERM), so a read either finds its pages in the page
// cache (microseconds of copying) or waits for the disk or the network file
// server (milliseconds, unbounded on NFS). Policy:
//
//   reads (read, readv via io.cc; pread, preadv here)
//       preadv2(RWF_NOWAIT) inline: what the page cache holds comes back at
//       once; on EAGAIN (nothing cached), EOPNOTSUPP (the file system has no
//       non-blocking reads) or a short read (part cached) the rest is read
//       on the pool. A read of a regular file natively returns the whole
//       count unless it reaches EOF, so a partial NOWAIT read is completed,
//       never returned as is, unless fstat says it ended at EOF (a whole
//       small file read with a bigger buffer: inline, no pool thread). Memory-backed file systems (proc, sysfs,
//       tmpfs, cgroup: all EOPNOTSUPP for RWF_NOWAIT on 6.x) are read inline
//       when poll says readable: that keeps /proc reads cheap and still
//       sends the few files that can block there (/proc/kmsg, which polls
//       not-ready while empty) to the pool.
//   writes (write, pwrite, ...)
//       inline. Buffered writes land in the page cache; ext4 refuses
//       RWF_NOWAIT for them (EOPNOTSUPP), so there is no cheap "would it
//       block" test, and offloading every write costs a pool round trip.
//       They block only under dirty-page throttling (README, limitations).
//   fsync, fdatasync, syncfs, sync, sync_file_range, copy_file_range
//       offloaded always: they wait for the device by design.
//
// Measured (x86-64, ext4 on virtio, one green thread, 200k calls): a
// page-cache-hot 4 KiB pread costs 1.0-1.7 us inline under libgreen (native
// 0.9-1.5 us); one pool round trip costs about 40 us (getpwuid_r: 8-12 us
// native, 48-63 us offloaded). Offloading hot reads would make them 30x
// slower, so only the misses pay for the pool.
#include "io/file_read.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <vector>

#include "glibc/real.h"
#include "io/fd_state.h"
#include "io/offload_call.h"
#include "os/sys.h"

namespace {

ssize_t neg(ssize_t r) { return r < 0 ? -errno : r; }

size_t total_len(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n; i++) t += iov[i].iov_len;
  return t;
}

// The iovecs after the first `done` bytes (a private copy).
std::vector<iovec> rest_of(const iovec* iov, int n, size_t done) {
  std::vector<iovec> v;
  for (int i = 0; i < n; i++) {
    iovec x = iov[i];
    size_t skip = done < x.iov_len ? done : x.iov_len;
    done -= skip;
    x.iov_base = static_cast<char*>(x.iov_base) + skip;
    x.iov_len -= skip;
    if (x.iov_len) v.push_back(x);
  }
  return v;
}

// The blocking read on the pool: readv at the file position, or preadv.
ssize_t pool_readv(int fd, const iovec* iov, int n, off_t off) {
  return green::offload_call([&] {
    return neg(off < 0 ? REAL(readv)(fd, iov, n) : REAL(preadv)(fd, iov, n, off));
  });
}

// A file system whose reads never wait for a device.
bool in_memory(int fd) {
  struct statfs st;
  if (fstatfs(fd, &st) != 0) return false;
  switch (st.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case TMPFS_MAGIC:
    case RAMFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
      return true;
    default:
      return false;
  }
}

// Whether a short NOWAIT read of r bytes stopped at end of file (the usual
// reason it is short: a read of a whole small file with a bigger buffer),
// not at the end of what the page cache holds. Then it is the native
// result and returns inline; the pool would only find EOF again.
bool reached_eof(int fd, off_t off, ssize_t r) {
  struct stat st;
  if (green::sys::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  off_t end = off >= 0 ? off + r : lseek(fd, 0, SEEK_CUR);
  return end >= 0 && end >= st.st_size;
}

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return REAL(poll)(&p, 1, 0) > 0;
}


}  // namespace

namespace green {

namespace {

ssize_t file_readv_tries(int fd, const iovec* iov, int n, off_t off) {
  ssize_t r = REAL(preadv2)(fd, iov, n, off, RWF_NOWAIT);
  if (r < 0 && errno != EAGAIN && errno != EOPNOTSUPP) return -errno;
  if (r < 0 && errno == EOPNOTSUPP && in_memory(fd) && readable_now(fd))
    return neg(off < 0 ? REAL(readv)(fd, iov, n) : REAL(preadv)(fd, iov, n, off));
  size_t want = total_len(iov, n);
  if (r == 0 || (r > 0 && static_cast<size_t>(r) >= want)) return r;
  if (r > 0 && reached_eof(fd, off, r)) return r;
  size_t done = r > 0 ? static_cast<size_t>(r) : 0;
  std::vector<iovec> rest = rest_of(iov, n, done);
  ssize_t k = pool_readv(fd, rest.data(), static_cast<int>(rest.size()),
                         off < 0 ? -1 : off + static_cast<off_t>(done));
  if (k < 0) return done ? static_cast<ssize_t>(done) : k;
  return static_cast<ssize_t>(done) + k;
}

}  // namespace

// The NOWAIT try's EAGAIN or EOPNOTSUPP never reaches the program when the
// read then succeeds (inline or on the pool): errno is the program's again;
// the interposer's syscall_ret sets it on failure.
ssize_t file_readv(int fd, const iovec* iov, int n, off_t off) {
  int saved = errno;
  ssize_t r = file_readv_tries(fd, iov, n, off);
  errno = saved;
  return r;
}

}  // namespace green


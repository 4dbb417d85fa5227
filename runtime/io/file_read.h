// file_read.h: reads of regular files and block devices (file_read.cc has
// the policy). Green threads only (a page-cache miss parks on the pool).
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace green {

// readv (off == -1: at the file position, which it advances) or preadv
// (off >= 0) of a file: what the page cache holds now is read inline, the
// rest on the pool. Returns what a blocking read returns: >= 0 or -errno.
ssize_t file_readv(int fd, const iovec* iov, int n, off_t off);

}  // namespace green

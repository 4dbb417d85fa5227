// stdio_file.h: the green stdio calls shim/stdio/read.cc and write.cc are
// made of (the design note is at the top of stdio.cc). Green threads only;
// each FILE is owned, for a whole call, by the green thread holding its
// StdioLock (sync/stdio_lock.h).
#pragma once

#include <stdio.h>

#include <cstddef>

#include "sync/stdio_lock.h"

namespace green::stdio {

// glibc's FILE flag bits (libio/libio.h), unchanged since glibc 2.0;
// _IO_EOF_SEEN and _IO_ERR_SEEN are also public (bits/types/struct_FILE.h).
constexpr int kUnbuffered = 0x0002;  // _IO_UNBUFFERED
constexpr int kNoReads = 0x0004;     // _IO_NO_READS
constexpr int kNoWrites = 0x0008;    // _IO_NO_WRITES
constexpr int kEofSeen = 0x0010;     // _IO_EOF_SEEN
constexpr int kErrSeen = 0x0020;     // _IO_ERR_SEEN
constexpr int kLinked = 0x0080;      // _IO_LINKED
constexpr int kInBackup = 0x0100;    // _IO_IN_BACKUP
constexpr int kLineBuf = 0x0200;     // _IO_LINE_BUF
constexpr int kPutting = 0x0800;     // _IO_CURRENTLY_PUTTING

// True when the call must take the green path: a green thread that may
// park, a byte-oriented FILE on a pollable fd. When false on a green thread,
// it first waits while another green thread holds f (stdio_wait_unlocked),
// and the caller passes through. Keeps errno.
bool take_green_path(FILE* f);

// Takes glibc's own lock of f with ftrylockfile: when a native thread (or a
// green thread of another hub) holds it, sleeps and retries instead of
// blocking the hub.
void glibc_lock(FILE* f);

// glibc's own FILE lock (glibc_lock), held only across calls that never
// park (INV-S3).
class GlibcLock {
 public:
  explicit GlibcLock(FILE* f);
  ~GlibcLock();
  GlibcLock(const GlibcLock&) = delete;
  GlibcLock& operator=(const GlibcLock&) = delete;

 private:
  FILE* f_;
};

// The rest: the caller holds f's StdioLock and green_file(f) was true.

// Bytes in f's get area (what getc takes without reading the fd).
size_t buffered(const FILE* f);
// __underflow(f) without blocking the hub: parks until the fd is readable,
// then lets glibc make its one read. The next byte (not consumed) or EOF
// with f's EOF or error flag and errno set as glibc sets them.
int fill(FILE* f);
// Copies up to max bytes out of f's get area, stopping after delim (or
// never, delim < 0). Returns how many; never reads the fd.
size_t take(FILE* f, char* dst, size_t max, int delim);
// fwrite(s, 1, n, f) without blocking the hub. Returns the bytes accepted;
// fewer than n after an error (f's error flag and errno set).
size_t put(FILE* f, const char* s, size_t n);
// Writes f's pending output, parking for room: glibc's fflush(f), or its
// __overflow(f, EOF) when overflow_eof. 0 or EOF.
int flush(FILE* f, bool overflow_eof);

}  // namespace green::stdio

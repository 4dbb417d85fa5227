// shim/stdio/read.cc: the stdio input calls (design note: stdio.cc).
//
// Each one passes through unless take_green_path(); otherwise it holds the
// FILE's green lock and is rebuilt from fill() (one parked-for read) and
// take() (bytes out of the get area), with glibc's results, flags and errno
// (libio/iofgets.c, iogetdelim.c, iofread.c, debug/fgets_chk.c, fread_chk.c).
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <climits>
#include <cerrno>

#include "boundary.h"
#include "io/stdio_file.h"

extern "C" [[noreturn]] void __chk_fail(void);

namespace st = green::stdio;

namespace {

// fill() said EOF: true when it was a read error (not end of file).
bool read_failed(const FILE* f) { return !(f->_flags & st::kEofSeen); }

// True when f's get area has bytes, refilling it (parked) when empty;
// false at end of file or on a read error.
bool refill_if_empty(FILE* f) { return st::buffered(f) > 0 || st::fill(f) != EOF; }

int get_char(FILE* f, int (*real)(FILE*)) {
  if (!st::take_green_path(f)) return real(f);
  green::StdioLock l(f);
  if (!refill_if_empty(f)) return EOF;
  st::GlibcLock g(f);
  return real(f);
}

// Up to max bytes, through the first '\n'; *error when a read failed.
size_t get_line(FILE* f, char* s, size_t max, bool* error) {
  size_t done = 0;
  *error = false;
  while (done < max) {
    if (!refill_if_empty(f)) {
      *error = read_failed(f);
      break;
    }
    done += st::take(f, s + done, max - done, '\n');
    if (s[done - 1] == '\n') break;
  }
  return done;
}

// glibc's fgets result: a new error (not EAGAIN) or nothing read is NULL.
char* line_result(char* s, size_t count, bool error) {
  if (count == 0 || (error && errno != EAGAIN)) return nullptr;
  s[count] = '\0';
  return s;
}

char* get_string(char* s, int n, FILE* f, char* (*real)(char*, int, FILE*)) {
  if (n <= 1 || !st::take_green_path(f)) return real(s, n, f);
  green::StdioLock l(f);
  bool error;
  size_t count = get_line(f, s, static_cast<size_t>(n) - 1, &error);
  return line_result(s, count, error);
}

char* get_string_chk(char* s, size_t size, int n, FILE* f, char* (*real)(char*, size_t, int, FILE*)) {
  if (n <= 0 || !st::take_green_path(f)) return real(s, size, n, f);
  green::StdioLock l(f);
  bool error;
  size_t count = get_line(f, s, std::min(static_cast<size_t>(n) - 1, size), &error);
  if (count == 0 || (error && errno != EAGAIN)) return nullptr;
  if (count >= size) __chk_fail();
  s[count] = '\0';
  return s;
}

// Bytes of f's get area through the first delim (all of it when none).
size_t span(FILE* f, int delim, bool* found) {
  st::GlibcLock g(f);
  size_t n = st::buffered(f);
  auto d = static_cast<const char*>(memchr(f->_IO_read_ptr, delim, n));
  *found = d != nullptr;
  return d ? static_cast<size_t>(d - f->_IO_read_ptr) + 1 : n;
}

ssize_t set_error(FILE* f, int err) {
  {
    st::GlibcLock g(f);
    f->_flags |= st::kErrSeen;
  }
  errno = err;
  return -1;
}

ssize_t get_delim(char** line, size_t* n, int delim, FILE* f,
                  ssize_t (*real)(char**, size_t*, int, FILE*)) {
  if (!line || !n || !st::take_green_path(f)) return real(line, n, delim, f);
  green::StdioLock l(f);
  if (*line == nullptr || *n == 0) {
    *n = 120;
    *line = static_cast<char*>(malloc(*n));
    if (!*line) return -1;
  }
  if (!refill_if_empty(f)) return -1;
  size_t cur = 0;
  for (;;) {
    bool found;
    size_t len = span(f, delim, &found);
    if (len >= SSIZE_MAX - cur) {
      errno = EOVERFLOW;
      return -1;
    }
    size_t needed = cur + len + 1;
    if (needed > *n) {
      if (needed < 2 * *n) needed = 2 * *n;
      auto p = static_cast<char*>(realloc(*line, needed));
      if (!p) return set_error(f, ENOMEM);
      *line = p;
      *n = needed;
    }
    cur += st::take(f, *line + cur, len, -1);
    if (found || !refill_if_empty(f)) break;
  }
  (*line)[cur] = '\0';
  return static_cast<ssize_t>(cur);
}

size_t get_bytes(FILE* f, char* dst, size_t n) {
  size_t done = 0;
  while (done < n && refill_if_empty(f)) done += st::take(f, dst + done, n - done, -1);
  return done;
}

size_t get_items(void* p, size_t size, size_t count, FILE* f, size_t (*real)(void*, size_t, size_t, FILE*)) {
  size_t bytes = size * count;
  if (bytes == 0 || !st::take_green_path(f)) return real(p, size, count, f);
  green::StdioLock l(f);
  size_t done = get_bytes(f, static_cast<char*>(p), bytes);
  return done == bytes ? count : done / size;
}

bool chk_overflows(size_t ptrlen, size_t size, size_t count) {
  size_t bytes = size * count;
  if ((count | size) >= (static_cast<size_t>(1) << (8 * sizeof(size_t) / 2)) && size != 0 && bytes / size != count)
    return true;
  return bytes > ptrlen;
}

// scanf: the read function of the private stream (stdio.cc).
ssize_t proxy_read(void* cookie, char* buf, size_t size) {
  auto f = static_cast<FILE*>(cookie);
  if (!refill_if_empty(f)) return read_failed(f) ? -1 : 0;
  return static_cast<ssize_t>(st::take(f, buf, size, -1));
}

// Hands the look-ahead the private stream holds back to f.
void give_back(FILE* proxy, FILE* f) {
  unsigned char back[8];
  size_t n = 0;
  while (n < sizeof back && proxy->_IO_read_ptr < proxy->_IO_read_end)
    back[n++] = static_cast<unsigned char>(*proxy->_IO_read_ptr++);
  st::GlibcLock g(f);
  while (n > 0) ungetc(back[--n], f);
}

using vscan_fn = int (*)(FILE*, const char*, va_list);

int scan(FILE* f, const char* fmt, va_list ap, vscan_fn real) {
  if (!st::take_green_path(f)) return real(f, fmt, ap);
  green::StdioLock l(f);
  int err = errno;
  FILE* proxy = fopencookie(f, "r", cookie_io_functions_t{proxy_read, nullptr, nullptr, nullptr});
  if (!proxy) return EOF;
  setvbuf(proxy, nullptr, _IONBF, 0);
  errno = err;
  int r = real(proxy, fmt, ap);
  err = errno;
  give_back(proxy, f);
  REAL(fclose)(proxy);
  errno = err;
  return r;
}

}  // namespace

GREEN_EXPORT int fgetc(FILE* f) { return get_char(f, REAL(fgetc)); }
GREEN_EXPORT int getc(FILE* f) { return get_char(f, REAL(getc)); }
GREEN_EXPORT int getchar(void) { return get_char(stdin, REAL(getc)); }
GREEN_EXPORT int fgetc_unlocked(FILE* f) { return get_char(f, REAL(fgetc_unlocked)); }
GREEN_EXPORT int getc_unlocked(FILE* f) { return get_char(f, REAL(getc_unlocked)); }
GREEN_EXPORT int getchar_unlocked(void) { return get_char(stdin, REAL(getc_unlocked)); }
// The getc_unlocked macro of <stdio.h> calls these when the get area is empty.
GREEN_EXPORT int __uflow(FILE* f) { return get_char(f, REAL(__uflow)); }
GREEN_EXPORT int __underflow(FILE* f) { return get_char(f, REAL(__underflow)); }

GREEN_EXPORT char* fgets(char* s, int n, FILE* f) { return get_string(s, n, f, REAL(fgets)); }
GREEN_EXPORT char* fgets_unlocked(char* s, int n, FILE* f) { return get_string(s, n, f, REAL(fgets_unlocked)); }
GREEN_EXPORT char* __fgets_chk(char* s, size_t size, int n, FILE* f) {
  return get_string_chk(s, size, n, f, REAL(__fgets_chk));
}
GREEN_EXPORT char* __fgets_unlocked_chk(char* s, size_t size, int n, FILE* f) {
  return get_string_chk(s, size, n, f, REAL(__fgets_unlocked_chk));
}

GREEN_EXPORT ssize_t getdelim(char** line, size_t* n, int delim, FILE* f) {
  return get_delim(line, n, delim, f, REAL(getdelim));
}
GREEN_EXPORT ssize_t __getdelim(char** line, size_t* n, int delim, FILE* f) {
  return get_delim(line, n, delim, f, REAL(__getdelim));
}
GREEN_EXPORT ssize_t getline(char** line, size_t* n, FILE* f) {
  return get_delim(line, n, '\n', f, REAL(getdelim));
}

GREEN_EXPORT size_t fread(void* p, size_t size, size_t count, FILE* f) {
  return get_items(p, size, count, f, REAL(fread));
}
GREEN_EXPORT size_t fread_unlocked(void* p, size_t size, size_t count, FILE* f) {
  return get_items(p, size, count, f, REAL(fread_unlocked));
}
GREEN_EXPORT size_t __fread_chk(void* p, size_t ptrlen, size_t size, size_t count, FILE* f) {
  if (chk_overflows(ptrlen, size, count)) return REAL(__fread_chk)(p, ptrlen, size, count, f);
  return get_items(p, size, count, f, REAL(fread));
}
GREEN_EXPORT size_t __fread_unlocked_chk(void* p, size_t ptrlen, size_t size, size_t count, FILE* f) {
  if (chk_overflows(ptrlen, size, count)) return REAL(__fread_unlocked_chk)(p, ptrlen, size, count, f);
  return get_items(p, size, count, f, REAL(fread_unlocked));
}

// <stdio.h> in C++ redirects fscanf & co. to their __isoc99_ names (the C99
// treatment of %a); the GNU names are defined under their own asm labels.
GREEN_EXPORT int gnu_vfscanf(FILE* f, const char* fmt, va_list ap) __asm__("vfscanf");
GREEN_EXPORT int gnu_vscanf(const char* fmt, va_list ap) __asm__("vscanf");
GREEN_EXPORT int gnu_fscanf(FILE* f, const char* fmt, ...) __asm__("fscanf");
GREEN_EXPORT int gnu_scanf(const char* fmt, ...) __asm__("scanf");

GREEN_EXPORT int gnu_vfscanf(FILE* f, const char* fmt, va_list ap) { return scan(f, fmt, ap, REAL(vfscanf)); }
GREEN_EXPORT int gnu_vscanf(const char* fmt, va_list ap) { return scan(stdin, fmt, ap, REAL(vfscanf)); }
GREEN_EXPORT int __isoc99_vfscanf(FILE* f, const char* fmt, va_list ap) {
  return scan(f, fmt, ap, REAL(__isoc99_vfscanf));
}
GREEN_EXPORT int __isoc99_vscanf(const char* fmt, va_list ap) {
  return scan(stdin, fmt, ap, REAL(__isoc99_vfscanf));
}

GREEN_EXPORT int gnu_fscanf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = scan(f, fmt, ap, REAL(vfscanf));
  va_end(ap);
  return r;
}

GREEN_EXPORT int __isoc99_fscanf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = scan(f, fmt, ap, REAL(__isoc99_vfscanf));
  va_end(ap);
  return r;
}

GREEN_EXPORT int gnu_scanf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = scan(stdin, fmt, ap, REAL(vfscanf));
  va_end(ap);
  return r;
}

GREEN_EXPORT int __isoc99_scanf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = scan(stdin, fmt, ap, REAL(__isoc99_vfscanf));
  va_end(ap);
  return r;
}

// shim/stdio/write.cc: the stdio output calls, fflush, fclose and the flockfile
// family (design note: stdio.cc).
//
// Each output call passes through unless take_green_path(); otherwise it
// holds the FILE's green lock and hands its bytes to put(), returning what
// glibc returns (libio/iofputs.c, ioputs.c, iofwrite.c). The printf family
// formats into memory first; dprintf writes with write() (io.cc).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <cerrno>
#include <climits>

#include "boundary.h"
#include "io/fd_state.h"
#include "io/fd_ops.h"
#include "io/stdio_file.h"

extern "C" int __vsnprintf_chk(char*, size_t, int, size_t, const char*, va_list);

namespace st = green::stdio;

namespace {

int put_char(int c, FILE* f, int (*real)(int, FILE*)) {
  if (!st::take_green_path(f)) return real(c, f);
  green::StdioLock l(f);
  char ch = static_cast<char>(c);
  return st::put(f, &ch, 1) == 1 ? static_cast<unsigned char>(c) : EOF;
}

int put_string(const char* s, FILE* f, int (*real)(const char*, FILE*)) {
  if (!st::take_green_path(f)) return real(s, f);
  size_t n = strlen(s);
  green::StdioLock l(f);
  if (f->_mode == 0) fwide(f, -1);  // even for "": glibc orients the FILE
  return st::put(f, s, n) == n ? 1 : EOF;
}

size_t put_items(const void* p, size_t size, size_t count, FILE* f,
                 size_t (*real)(const void*, size_t, size_t, FILE*)) {
  size_t request = size * count;
  if (request == 0 || !st::take_green_path(f)) return real(p, size, count, f);
  green::StdioLock l(f);
  size_t w = st::put(f, static_cast<const char*>(p), request);
  return w == request ? count : w / size;
}

// vfprintf's text in memory: a stack buffer, else the heap. flag < 0:
// vsnprintf; else __vsnprintf_chk's flag (the _chk callers' fortify level).
class Text {
 public:
  Text(int flag, const char* fmt, va_list ap) {
    len_ = format(stack_, sizeof stack_, flag, fmt, ap);
    if (len_ < 0 || static_cast<size_t>(len_) < sizeof stack_) return;
    heap_ = static_cast<char*>(malloc(static_cast<size_t>(len_) + 1));
    if (!heap_) {
      len_ = -1;  // errno ENOMEM
      return;
    }
    len_ = format(heap_, static_cast<size_t>(len_) + 1, flag, fmt, ap);
  }
  ~Text() { free(heap_); }
  Text(const Text&) = delete;
  Text& operator=(const Text&) = delete;

  int len() const { return len_; }
  const char* data() const { return heap_ ? heap_ : stack_; }

 private:
  static int format(char* buf, size_t size, int flag, const char* fmt, va_list ap) {
    va_list aq;
    va_copy(aq, ap);
    int n = flag < 0 ? vsnprintf(buf, size, fmt, aq) : __vsnprintf_chk(buf, size, flag, size, fmt, aq);
    va_end(aq);
    return n;
  }

  char stack_[512];
  char* heap_ = nullptr;
  int len_;
};

int print(FILE* f, int flag, const char* fmt, va_list ap) {
  if (!st::take_green_path(f))
    return flag < 0 ? REAL(vfprintf)(f, fmt, ap) : REAL(__vfprintf_chk)(f, flag, fmt, ap);
  Text text(flag, fmt, ap);
  if (text.len() < 0) return -1;
  size_t n = static_cast<size_t>(text.len());
  green::StdioLock l(f);
  if (f->_mode == 0) fwide(f, -1);
  return st::put(f, text.data(), n) == n ? text.len() : -1;
}

// vdprintf: glibc writes through a FILE of its own on the stack, whose
// write is internal; format, then write() with io.cc's parking.
int dprint(int fd, int flag, const char* fmt, va_list ap) {
  if (!green::intercepting())
    return flag < 0 ? REAL(vdprintf)(fd, fmt, ap) : REAL(__vdprintf_chk)(fd, flag, fmt, ap);
  Text text(flag, fmt, ap);
  if (text.len() < 0) return -1;
  size_t n = static_cast<size_t>(text.len()), done = 0;
  while (done < n) {
    ssize_t w = write(fd, text.data() + done, n - done);
    if (w <= 0) return -1;
    done += static_cast<size_t>(w);
  }
  return text.len();
}

int flush_file(FILE* f, int (*real)(FILE*)) {
  if (!f || !st::take_green_path(f)) return real(f);
  green::StdioLock l(f);
  return st::flush(f, false);
}

}  // namespace

GREEN_EXPORT int fputc(int c, FILE* f) { return put_char(c, f, REAL(fputc)); }
GREEN_EXPORT int putc(int c, FILE* f) { return put_char(c, f, REAL(putc)); }
GREEN_EXPORT int putchar(int c) { return put_char(c, stdout, REAL(putc)); }
GREEN_EXPORT int fputc_unlocked(int c, FILE* f) { return put_char(c, f, REAL(fputc_unlocked)); }
GREEN_EXPORT int putc_unlocked(int c, FILE* f) { return put_char(c, f, REAL(putc_unlocked)); }
GREEN_EXPORT int putchar_unlocked(int c) { return put_char(c, stdout, REAL(putc_unlocked)); }

// The putc_unlocked macro of <stdio.h> calls this when the buffer is full
// (or line-buffered); c == EOF only flushes.
GREEN_EXPORT int __overflow(FILE* f, int c) {
  if (!st::take_green_path(f)) return REAL(__overflow)(f, c);
  green::StdioLock l(f);
  if (c == EOF) return st::flush(f, true);
  char ch = static_cast<char>(c);
  return st::put(f, &ch, 1) == 1 ? static_cast<unsigned char>(c) : EOF;
}

GREEN_EXPORT int fputs(const char* s, FILE* f) { return put_string(s, f, REAL(fputs)); }
GREEN_EXPORT int fputs_unlocked(const char* s, FILE* f) { return put_string(s, f, REAL(fputs_unlocked)); }

GREEN_EXPORT int puts(const char* s) {
  FILE* f = stdout;
  if (!st::take_green_path(f)) return REAL(puts)(s);
  size_t n = strlen(s);
  green::StdioLock l(f);
  if (f->_mode == 0) fwide(f, -1);
  if (st::put(f, s, n) != n || st::put(f, "\n", 1) != 1) return EOF;
  return n + 1 > INT_MAX ? INT_MAX : static_cast<int>(n + 1);
}

GREEN_EXPORT size_t fwrite(const void* p, size_t size, size_t count, FILE* f) {
  return put_items(p, size, count, f, REAL(fwrite));
}
GREEN_EXPORT size_t fwrite_unlocked(const void* p, size_t size, size_t count, FILE* f) {
  return put_items(p, size, count, f, REAL(fwrite_unlocked));
}

GREEN_EXPORT int vfprintf(FILE* f, const char* fmt, va_list ap) { return print(f, -1, fmt, ap); }
GREEN_EXPORT int vprintf(const char* fmt, va_list ap) { return print(stdout, -1, fmt, ap); }
GREEN_EXPORT int __vfprintf_chk(FILE* f, int flag, const char* fmt, va_list ap) {
  return print(f, flag, fmt, ap);
}
GREEN_EXPORT int __vprintf_chk(int flag, const char* fmt, va_list ap) { return print(stdout, flag, fmt, ap); }

GREEN_EXPORT int fprintf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = print(f, -1, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = print(stdout, -1, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int __fprintf_chk(FILE* f, int flag, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = print(f, flag, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int __printf_chk(int flag, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = print(stdout, flag, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int vdprintf(int fd, const char* fmt, va_list ap) { return dprint(fd, -1, fmt, ap); }
GREEN_EXPORT int __vdprintf_chk(int fd, int flag, const char* fmt, va_list ap) {
  return dprint(fd, flag, fmt, ap);
}

GREEN_EXPORT int dprintf(int fd, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = dprint(fd, -1, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int __dprintf_chk(int fd, int flag, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = dprint(fd, flag, fmt, ap);
  va_end(ap);
  return r;
}

GREEN_EXPORT int fflush(FILE* f) { return flush_file(f, REAL(fflush)); }
GREEN_EXPORT int fflush_unlocked(FILE* f) { return flush_file(f, REAL(fflush_unlocked)); }

GREEN_EXPORT int fclose(FILE* f) {
  int fd = f->_fileno;
  if (!st::take_green_path(f)) {
    if (fd >= 0) green::fd_closing(fd);
    return REAL(fclose)(f);
  }
  green::StdioLock l(f);
  int r = st::flush(f, false);
  if (fd >= 0) green::fd_closing(fd);
  int c = REAL(fclose)(f);
  return r == EOF ? EOF : c;
}

// flockfile sections: the green lock too, so that another green thread of
// the hub does not walk into glibc's recursive lock while this one parks.
// This is the one place a green thread parks holding glibc's lock: the
// program asked for it.
GREEN_EXPORT void flockfile(FILE* f) {
  if (!green::intercepting()) return REAL(flockfile)(f);
  green::stdio_lock(f);
  st::glibc_lock(f);
}

GREEN_EXPORT int ftrylockfile(FILE* f) {
  if (!green::intercepting()) return REAL(ftrylockfile)(f);
  if (!green::stdio_trylock(f)) return EBUSY;
  int r = REAL(ftrylockfile)(f);
  if (r != 0) green::stdio_unlock(f);
  return r;
}

GREEN_EXPORT void funlockfile(FILE* f) {
  REAL(funlockfile)(f);
  if (green::intercepting()) green::stdio_unlock(f);
}

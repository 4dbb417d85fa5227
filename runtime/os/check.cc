#include "os/check.h"
#include "os/sys.h"

#include <cstdio>
#include <cstdlib>
#include <sys/syscall.h>
#include <unistd.h>

namespace green {

void vreport(const char* fmt, va_list ap) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof buf) - 2) n = sizeof buf - 2;
  buf[n++] = '\n';
  for (int off = 0; off < n;) {
    long w = sys::write(2, buf + off, n - off);
    if (w <= 0) break;
    off += static_cast<int>(w);
  }
}

void report(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap);
  va_end(ap);
}

void fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vreport(fmt, ap);
  va_end(ap);
  abort();
}

}  // namespace green

// check.h: loud failure for broken invariants (Go's throw, Abseil's CHECK).
//
// fatal() writes straight to fd 2 with a raw system call (never through an
// interposed symbol, never allocating) and aborts. It is safe on the hub, on
// a green thread and inside a signal handler.
#pragma once

#include <cstdarg>

namespace green {

[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Writes a formatted line to fd 2 with a raw system call (no stdio, no locks).
void report(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vreport(const char* fmt, va_list ap);

}  // namespace green

#define GREEN_CHECK(cond, what)                                                  \
  do {                                                                           \
    if (__builtin_expect(!(cond), 0))                                            \
      ::green::fatal("libgreen: internal error: %s (%s:%d)", what, __FILE__, __LINE__); \
  } while (0)
